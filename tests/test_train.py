"""Training: learning happens, resume is exact, DDP ranks agree, checkpoints are verified."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from chanest.checkpoint import load_checkpoint, save_checkpoint
from chanest.config import ConfigError, parse_config
from chanest.dataset import DatasetWriter, context_for
from chanest.estimators.base import observe
from chanest.estimators.checkpointed import load_neural_estimator
from chanest.experiment import parse_experiment
from chanest.simulate import Simulator
from chanest.train import Trainer, _unwrap

REPO = Path(__file__).resolve().parents[1]
SCENARIO = {"chunk_size": 32, "channel": {"model": "pdp", "profile": "EPA", "speed_mps": [0, 10]},
            "noise": {"snr_db": [10, 20]}}


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(SCENARIO))
    return path


def experiment(tmp_path, scenario_file, **overrides):
    data = {"name": "run", "out_dir": str(tmp_path / "runs"), "seed": 3,
            "model": {"name": "cenet", "kwargs": {"channels": 8, "blocks": 2}},
            "data": {"simulate": str(scenario_file), "samples_per_epoch": 128,
                     "val_samples": 64},
            "train": {"epochs": 4, "batch_size": 32, "patience": None}}
    for key, value in overrides.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    return parse_experiment(data)


def weights(trainer):
    return {k: v.clone() for k, v in _unwrap(trainer.model).state_dict().items()}


def test_tiny_model_overfits_tiny_dataset(tmp_path):
    """On 64 fixed grids (train = validation), 40 epochs cut the loss by at least 5x."""
    sim = Simulator(parse_config({**SCENARIO, "noise": {"snr_db": [30]}}))
    path = tmp_path / "tiny.h5"
    for _ in DatasetWriter(path, sim, 64).run():
        pass
    exp = parse_experiment({"name": "fit", "out_dir": str(tmp_path / "runs"),
                            "model": {"name": "cenet", "kwargs": {"channels": 16, "blocks": 2}},
                            "data": {"train": str(path), "val": str(path)},
                            "train": {"epochs": 40, "batch_size": 16, "lr": 3e-3,
                                      "schedule": "none", "patience": None}})
    trainer = Trainer(exp, device="cpu", progress=False)
    trainer.fit()
    log = (tmp_path / "runs" / "fit" / "log.csv").read_text().splitlines()[1:]
    losses = [float(row.split(",")[3]) for row in log]
    assert len(losses) == 40
    assert losses[-1] < losses[0] / 5, (losses[0], losses[-1])


def test_resume_is_exact(tmp_path, scenario_file):
    straight = Trainer(experiment(tmp_path, scenario_file, name="a"), "cpu", progress=False)
    straight.fit()
    first = Trainer(experiment(tmp_path, scenario_file, name="b"), "cpu", progress=False)
    first.fit(max_epochs=2)
    resumed = Trainer(experiment(tmp_path, scenario_file, name="b"), "cpu", resume=True,
                      progress=False)
    assert resumed.state.epoch == 2
    resumed.fit()
    a, b = weights(straight), weights(resumed)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    logs = [(tmp_path / "runs" / n / "log.csv").read_text() for n in ("a", "b")]
    strip = lambda text: [r.split(",")[:5] for r in text.splitlines()]  # noqa: E731 - no timings
    assert strip(logs[0]) == strip(logs[1])


def test_first_stage_trains_srcnn_only_and_resume_across_the_boundary_is_exact(
        tmp_path, scenario_file):
    """ChannelNet's SRCNN stage changes SRCNN weights only; resumed between the stages,
    the run ends with the weights of an uninterrupted one."""
    overrides = dict(model={"name": "channelnet", "kwargs": {"dncnn_depth": 3}},
                     train={"stages": [{"stage": "srcnn", "epochs": 1},
                                       {"stage": "dncnn", "epochs": 2}]})
    straight = Trainer(experiment(tmp_path, scenario_file, name="a", **overrides), "cpu",
                       progress=False)
    straight.fit()
    first = Trainer(experiment(tmp_path, scenario_file, name="b", **overrides), "cpu",
                    progress=False)
    initial = weights(first)
    first.fit(max_epochs=1)
    after_srcnn = weights(first)
    srcnn = {k for k in initial if k.startswith("srcnn.")}
    assert srcnn and any(not torch.equal(initial[k], after_srcnn[k]) for k in srcnn)
    assert all(torch.equal(initial[k], after_srcnn[k]) for k in initial if k not in srcnn
               and not k.endswith(("running_mean", "running_var", "num_batches_tracked")))
    resumed = Trainer(experiment(tmp_path, scenario_file, name="b", **overrides), "cpu",
                      resume=True, progress=False)
    assert resumed.state.stage_index == 1 and resumed.state.epoch == 0
    resumed.fit()
    a, b = weights(straight), weights(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)
    log = (tmp_path / "runs" / "a" / "log.csv").read_text().splitlines()[1:]
    assert [r.split(",")[1] for r in log] == ["srcnn", "dncnn", "dncnn"]


def test_existing_run_needs_resume(tmp_path, scenario_file):
    exp = experiment(tmp_path, scenario_file, train={"epochs": 1})
    Trainer(exp, "cpu", progress=False).fit()
    with pytest.raises(ConfigError, match="already holds a run"):
        Trainer(exp, "cpu", progress=False)
    with pytest.raises(ConfigError, match="no checkpoint to resume"):
        Trainer(experiment(tmp_path, scenario_file, name="new"), "cpu", resume=True)


def test_ddp_two_ranks_gloo_agree(tmp_path, scenario_file):
    exp = experiment(tmp_path, scenario_file, name="ddp", train={"epochs": 2})
    cfg = tmp_path / "ddp.yaml"
    cfg.write_text(yaml.safe_dump(exp.to_dict()))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
           "2", str(REPO / "tests" / "ddp_worker.py"), str(cfg)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    run = tmp_path / "runs" / "ddp"
    hashes = [(run / f"rank{r}-of-2.sha256").read_text() for r in (0, 1)]
    assert hashes[0] == hashes[1]
    assert len((run / "log.csv").read_text().splitlines()) == 3  # header + 2 epochs


def test_checkpoint_estimator_and_refusals(tmp_path, scenario_file):
    exp = experiment(tmp_path, scenario_file, train={"epochs": 1})
    Trainer(exp, "cpu", progress=False).fit()
    stem = tmp_path / "runs" / "run" / "best"
    sim = Simulator(parse_config(SCENARIO))
    est = load_neural_estimator(str(stem), context_for(sim))
    batch = sim.generate(8)
    out = est.estimate(observe(batch))
    assert out.h_hat.shape == batch.h.shape and out.h_hat.dtype == torch.complex64
    assert torch.isfinite(out.err_var).all() and (out.err_var > 0).all()

    # a flipped byte in the weights is detected
    weights_file = stem.with_suffix(".safetensors")
    blob = bytearray(weights_file.read_bytes())
    blob[-5] ^= 0xFF
    tampered = tmp_path / "tampered"
    tampered.with_suffix(".safetensors").write_bytes(bytes(blob))
    tampered.with_suffix(".json").write_text(stem.with_suffix(".json").read_text())
    with pytest.raises(ConfigError, match="does not match the hash"):
        load_checkpoint(tampered)
    # a foreign safetensors/JSON pair is refused
    save_checkpoint(tmp_path / "foreign", {"x": torch.zeros(3)}, {})
    meta = json.loads((tmp_path / "foreign.json").read_text())
    meta["format"] = "someone-else"
    (tmp_path / "foreign.json").write_text(json.dumps(meta))
    with pytest.raises(ConfigError, match="not a chanest checkpoint"):
        load_checkpoint(tmp_path / "foreign")
    # a valid checkpoint whose tensors are not this model's weights
    save_checkpoint(tmp_path / "wrong", {"model.x": torch.zeros(3)},
                    {"model": {"name": "cenet", "kwargs": {}}, "mask": sim.mask.tolist()})
    with pytest.raises(ConfigError, match="weights do not fit"):
        load_neural_estimator(str(tmp_path / "wrong"), context_for(sim))
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "broken.safetensors").write_bytes(b"x")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_checkpoint(tmp_path / "broken")
    # a different pilot mask
    other = Simulator(parse_config({**SCENARIO, "pilots": {"pattern": "channelnet-16"}}))
    with pytest.raises(ConfigError, match=r"another pilot layout \(48 pilots on \[14, 72\], "
                       r"scenario .*scenario.yaml\) than the data's \(16 pilots"):
        load_neural_estimator(str(stem), context_for(other))


@pytest.mark.parametrize("name,kwargs", [("channelnet", {"dncnn_depth": 4}),
                                         ("reesnet", {}), ("cenet", {"err_head": True}),
                                         ("cenet", {}), ("cenet", {"base": "lmmse-adaptive"})])
def test_every_model_behind_the_estimator_contract(name, kwargs):
    from chanest.estimators.neural import NeuralEstimator
    from chanest.models import build_model
    from chanest.train import model_kwargs_for

    sim = Simulator(parse_config({**SCENARIO, "noise": {"snr_db": [-20, 0, 30, 60]}}))
    ctx = context_for(sim)
    model = build_model(name, **model_kwargs_for(name, kwargs, ctx.mask))
    err_map = (np.array([-20.0, 60.0]), np.full((2, *ctx.mask.shape), 0.1, np.float32))
    est = NeuralEstimator(ctx, model, err_map=None if kwargs.get("err_head") else err_map)
    batch = sim.generate(8)
    out = est.estimate(observe(batch))
    assert out.h_hat.shape == batch.h.shape and out.h_hat.dtype == torch.complex64
    assert out.err_var.shape == batch.h.shape and out.err_var.dtype == torch.float32
    assert torch.isfinite(out.h_hat).all() and torch.isfinite(out.err_var).all()
    assert (out.err_var >= 0).all()


@pytest.mark.parametrize("path", sorted((REPO / "configs" / "experiments").rglob("*.yaml")))
def test_shipped_experiments_parse(path):
    from chanest.experiment import load_experiment

    exp = load_experiment(path)
    assert (REPO / exp.data.simulate).is_file()


def test_shipped_sweeps_plan(monkeypatch):
    from chanest.sweep import estimator_names, load_sweep, plan_runs

    monkeypatch.chdir(REPO)
    for path in sorted((REPO / "configs" / "sweeps").glob("*.yaml")):
        spec = load_sweep(path)
        runs = plan_runs(spec)
        assert [r for r, _ in runs][-1] == "agnostic"
        assert any(n.startswith("ckpt:") and "snr*" in n for n in estimator_names(spec))


def test_sweep_end_to_end(tmp_path, scenario_file, runner):
    """Per-SNR family + agnostic model, evaluated with baselines on one test set."""
    from chanest.cli import main

    sweep = {"name": "mini", "out_dir": str(tmp_path / "runs"), "scenario": str(scenario_file),
             "per_snr": [10, 20], "agnostic": True, "test_samples": 64,
             "baselines": ["ls-linear", "genie-lmmse"],
             "experiment": {"model": {"name": "cenet", "kwargs": {"channels": 8, "blocks": 1}},
                            "data": {"samples_per_epoch": 64, "val_samples": 32},
                            "train": {"epochs": 1, "batch_size": 32}}}
    cfg = tmp_path / "sweep.yaml"
    cfg.write_text(yaml.safe_dump(sweep))
    res = runner.invoke(main, ["sweep", "--config", str(cfg), "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "snr10" in res.output and "agnostic" in res.output
    res = runner.invoke(main, ["sweep", "--config", str(cfg), "-q", "--device", "cpu"])
    assert res.exit_code == 0, res.output
    root = tmp_path / "runs" / "mini"
    rows = (root / "results" / "results.csv").read_text()
    for name in ("ls-linear", "genie-lmmse", f"ckpt:{root}/snr*/best", f"ckpt:{root}/agnostic/best"):
        assert name in rows
    # a second call trains nothing new (checkpoints untouched) and reproduces the table
    stamps = {p: p.stat().st_mtime_ns for p in root.rglob("*.safetensors")}
    again = runner.invoke(main, ["sweep", "--config", str(cfg), "-q", "--device", "cpu"])
    assert again.exit_code == 0
    assert stamps and {p: p.stat().st_mtime_ns for p in root.rglob("*.safetensors")} == stamps
    assert (root / "results" / "results.csv").read_text().splitlines()[1:] == \
        rows.splitlines()[1:]


def test_checkpoint_killed_between_its_two_renames_falls_back_to_the_previous_save(tmp_path):
    """save_checkpoint keeps the previous pair; a save interrupted after replacing the
    weights but not the metadata loads the previous pair, while a corrupted file whose
    metadata is not the previous save's is still refused."""
    import os

    stem = tmp_path / "last"
    save_checkpoint(stem, {"w": torch.zeros(3)}, {"epoch": 1})
    save_checkpoint(stem, {"w": torch.ones(3)}, {"epoch": 2})
    tensors, meta = load_checkpoint(stem)
    assert meta["epoch"] == 2 and torch.equal(tensors["w"], torch.ones(3))
    # a third save dies between the renames: new weights, metadata of save 2
    save_checkpoint(tmp_path / "scratch", {"w": torch.full((3,), 3.0)}, {"epoch": 3})
    os.replace(tmp_path / "last.safetensors", tmp_path / "keep.safetensors")
    os.link(tmp_path / "keep.safetensors", tmp_path / "last.prev.safetensors.tmp")
    os.replace(tmp_path / "last.prev.safetensors.tmp", tmp_path / "last.prev.safetensors")
    os.link(tmp_path / "last.json", tmp_path / "last.prev.json.tmp")
    os.replace(tmp_path / "last.prev.json.tmp", tmp_path / "last.prev.json")
    os.replace(tmp_path / "scratch.safetensors", tmp_path / "last.safetensors")
    tensors, meta = load_checkpoint(stem)
    assert meta["epoch"] == 2 and torch.equal(tensors["w"], torch.ones(3))
    # a corrupted pair that is not an interrupted save is refused
    other = tmp_path / "best"
    save_checkpoint(other, {"w": torch.zeros(3)}, {"epoch": 1})
    save_checkpoint(other, {"w": torch.ones(3)}, {"epoch": 2})
    data = bytearray((tmp_path / "best.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (tmp_path / "best.safetensors").write_bytes(bytes(data))
    with pytest.raises(ConfigError, match="does not match the hash"):
        load_checkpoint(other)
