"""The training loop: learning happens, resume is exact (within and across stages), a run
folder is never clobbered (data parallel runs: tests/test_ddp.py)."""


import pytest
import torch

from chanest.data.dataset import DatasetWriter
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.schema import ConfigError
from chanest.training.experiment import parse_experiment
from chanest.training.loop import Trainer
from tests.training_setup import SCENARIO, experiment, weights


def test_tiny_model_cuts_its_training_loss_fivefold_on_a_tiny_dataset(tmp_path):
    """On 64 fixed grids (train = validation), 40 epochs cut the loss by at least 5x."""
    sim = Simulator(parse_config({**SCENARIO, "noise": {"snr_db": [30]}}))
    path = tmp_path / "tiny.h5"
    DatasetWriter(path, sim, 64).run()
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


def test_resumed_run_ends_with_the_weights_and_log_of_an_uninterrupted_one(tmp_path, scenario_file):
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

    def strip(text):  # the first columns: no timings
        return [r.split(",")[:5] for r in text.splitlines()]

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


def test_existing_run_needs_resume_and_resume_needs_an_existing_run(tmp_path, scenario_file):
    exp = experiment(tmp_path, scenario_file, train={"epochs": 1})
    Trainer(exp, "cpu", progress=False).fit()
    with pytest.raises(ConfigError, match="already holds a run"):
        Trainer(exp, "cpu", progress=False)
    with pytest.raises(ConfigError, match="no checkpoint to resume"):
        Trainer(experiment(tmp_path, scenario_file, name="new"), "cpu", resume=True)


def test_shutdown_destroys_the_process_group_only_of_a_distributed_run(monkeypatch):
    """The shutdown that fit() ends with is a no-op for a single process (the DDP test
    checks that a distributed fit() leaves no process group behind)."""
    import torch.distributed as dist

    from chanest.training import distributed

    destroyed = []
    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    monkeypatch.setattr(dist, "destroy_process_group", lambda: destroyed.append(True))
    distributed.shutdown(distributed.DistInfo())
    assert destroyed == []
    distributed.shutdown(distributed.DistInfo(rank=1, world=2))
    assert destroyed == [True]
