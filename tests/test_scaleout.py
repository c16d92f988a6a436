"""Scale-out commands: ``--shard auto`` from torchrun or a SLURM job array, evaluation
shards merged into exactly one process's tables, and sweeps spread over devices (and
refused under torchrun)."""

import h5py
import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from chanest.cli import main
from chanest.data.writer import ShardSpec
from chanest.evaluation.shards import shard_grids
from chanest.launch import process_device, shard_from_environment
from chanest.schema import ConfigError
from chanest.training import sweep
from tests.training_setup import SCENARIO

ENVIRONMENT = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "SLURM_ARRAY_TASK_ID",
               "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN")
MIXTURE = {"chunk_size": 16,
           "channel": {"models": [{"model": "pdp", "profile": "EPA", "speed_mps": [0, 10]},
                                  {"model": "tdl", "profile": "C", "speed_mps": 5}]},
           "noise": {"snr_db": [0, 10, 20]}}
ESTIMATORS = "ls-linear,lmmse,genie-lmmse"


@pytest.fixture
def environment(monkeypatch):
    """No launcher variables; ``environment(NAME=value, ...)`` sets some."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)

    def set_(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, str(value))

    return set_


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def one_line_error(res, fragment: str) -> None:
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert res.exit_code == 2 and len(lines) == 1, res.output
    assert lines[0].startswith("Error: ") and fragment in lines[0], lines[0]


@pytest.mark.parametrize("values,shard", [
    ({"RANK": 1, "WORLD_SIZE": 4}, "1/4"),
    ({"SLURM_ARRAY_TASK_ID": 2, "SLURM_ARRAY_TASK_COUNT": 3}, "2/3"),
    ({"SLURM_ARRAY_TASK_ID": 12, "SLURM_ARRAY_TASK_COUNT": 4, "SLURM_ARRAY_TASK_MIN": 10},
     "2/4"),
    ({"RANK": 0, "WORLD_SIZE": 2, "SLURM_ARRAY_TASK_ID": 5, "SLURM_ARRAY_TASK_COUNT": 8},
     "0/2"),
])
def test_auto_shard_is_read_from_torchrun_or_the_slurm_array(environment, values, shard):
    environment(**values)
    assert shard_from_environment() == shard


def test_auto_shard_without_a_launcher_is_a_config_error(environment):
    with pytest.raises(ConfigError, match="shard: auto needs RANK and WORLD_SIZE"):
        shard_from_environment()
    environment(RANK="x", WORLD_SIZE=2)
    with pytest.raises(ConfigError, match="expected integers"):
        shard_from_environment()


def test_simulate_auto_shard_writes_the_array_tasks_shard(tmp_path, environment):
    cfg = tmp_path / "sc.yaml"
    cfg.write_text(yaml.safe_dump(SCENARIO))
    res = run("simulate", "--config", cfg, "-n", 96, "--out", tmp_path / "given.h5",
              "--shard", "1/2", "-q")
    assert res.exit_code == 0, res.output
    environment(SLURM_ARRAY_TASK_ID=1, SLURM_ARRAY_TASK_COUNT=2)
    res = run("simulate", "--config", cfg, "-n", 96, "--out", tmp_path / "auto.h5",
              "--shard", "auto", "-q")
    assert res.exit_code == 0, res.output
    assert not (tmp_path / "auto.h5").exists()  # the same command line in every task
    with h5py.File(tmp_path / "given.h5") as a, h5py.File(tmp_path / "auto-shard1of2.h5") as b:
        assert a.attrs["first_sample"] == b.attrs["first_sample"] == 32
        assert np.array_equal(a["h"][:], b["h"][:])


def test_simulate_auto_shard_without_a_launcher_fails_in_one_line(tmp_path, environment):
    res = run("simulate", "-n", 10, "--out", tmp_path / "d.h5", "--shard", "auto")
    one_line_error(res, "--shard: auto needs RANK and WORLD_SIZE")
    assert not (tmp_path / "d.h5").exists()


@pytest.fixture
def test_set(tmp_path):
    cfg = tmp_path / "mix.yaml"
    cfg.write_text(yaml.safe_dump(MIXTURE))
    path = tmp_path / "test.h5"
    assert run("simulate", "--config", cfg, "-n", 150, "--out", path, "-q").exit_code == 0
    return path


def test_evaluation_shards_merge_into_exactly_one_processs_tables(tmp_path, test_set,
                                                                  environment):
    """150 grids in batches of 32 (5 batches) over 3 shards (1, 2 and 2 batches; the last
    shard through --shard auto), in two folders: the merged results.csv and paired.csv are
    byte for byte those of one process."""
    whole = tmp_path / "whole"
    res = run("evaluate", "--data", test_set, "--out", whole, "--estimators", ESTIMATORS,
              "--batch-size", 32, "-q")
    assert res.exit_code == 0, res.output
    for i, folder in ((0, "a"), (1, "b")):
        res = run("evaluate", "--data", test_set, "--out", tmp_path / folder, "--estimators",
                  ESTIMATORS, "--batch-size", 32, "--shard", f"{i}/3", "-q")
        assert res.exit_code == 0, res.output
    environment(RANK=2, WORLD_SIZE=3)
    res = run("evaluate", "--data", test_set, "--out", tmp_path / "b", "--estimators",
              ESTIMATORS, "--batch-size", 32, "--shard", "auto", "-q")
    assert res.exit_code == 0 and "shard-2of3.npz" in res.output, res.output
    merged = tmp_path / "merged"
    res = run("evaluate", "--merge", tmp_path / "a", "--merge", tmp_path / "b", "--out", merged)
    assert res.exit_code == 0 and "merged 3 shards" in res.output, res.output
    for name in ("results.csv", "paired.csv"):
        assert (merged / name).read_bytes() == (whole / name).read_bytes(), name
    assert "all" in (merged / "results.csv").read_text()  # the two models and their union
    provenance = yaml.safe_load((merged / "results.json").read_text())
    assert [s["grids"] for s in provenance["shards"]] == [[0, 32], [32, 96], [96, 150]]
    assert provenance["dataset"] == yaml.safe_load((whole / "results.json").read_text())[
        "dataset"]


def test_merging_incomplete_or_foreign_shards_fails_in_one_line(tmp_path, test_set):
    def shard(out, i, n, *extra):
        res = run("evaluate", "--data", test_set, "--out", out, "--estimators", "ls-linear",
                  "--batch-size", 64, "--shard", f"{i}/{n}", "-q", *extra)
        assert res.exit_code == 0, res.output

    shard(tmp_path / "a", 0, 2)
    one_line_error(run("evaluate", "--merge", tmp_path / "a", "--out", tmp_path / "m"),
                   "--merge: shard 1/2 is missing")
    shard(tmp_path / "b", 0, 2)
    one_line_error(run("evaluate", "--merge", tmp_path / "a", "--merge", tmp_path / "b",
                       "--out", tmp_path / "m"), "shard 0/2 given twice")
    shard(tmp_path / "c", 1, 2, "--snr-bin", "5")
    one_line_error(run("evaluate", "--merge", tmp_path / "a", "--merge", tmp_path / "c",
                       "--out", tmp_path / "m"), "come from different evaluations")
    one_line_error(run("evaluate", "--merge", tmp_path / "none", "--out", tmp_path / "m"),
                   "--merge: ")
    (tmp_path / "d").mkdir()
    np.savez(tmp_path / "d" / "shard-0of1.npz", x=np.zeros(2))
    one_line_error(run("evaluate", "--merge", tmp_path / "d", "--out", tmp_path / "m"),
                   "is not an evaluation shard file")
    one_line_error(run("evaluate", "--data", test_set, "--merge", tmp_path / "a", "--out",
                       tmp_path / "m"), "--merge: reads only shard files; drop --data")
    one_line_error(run("evaluate", "--data", test_set, "--shard", "0/2", "--metric", "ber",
                       "--out", tmp_path / "m"), "--shard: shards hold NMSE errors")
    one_line_error(run("evaluate", "--data", test_set, "--shard", "3/4", "--batch-size", 64,
                       "--out", tmp_path / "m"), "--shard: 4 shards but the dataset has "
                   "only 3 batches")
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("n,batch_size,count", [(150, 32, 3), (10, 3, 4), (64, 64, 1)])
def test_shards_are_whole_batches_covering_every_grid_once(n, batch_size, count):
    spans = [shard_grids(n, batch_size, ShardSpec(i, count)) for i in range(count)]
    assert spans[0][0] == 0 and spans[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    assert all(lo % batch_size == 0 and hi > lo for lo, hi in spans)


def test_sweep_under_torchrun_fails_in_one_line(tmp_path, environment, scenario_file):
    cfg = tmp_path / "sweep.yaml"
    cfg.write_text(yaml.safe_dump({"scenario": str(scenario_file)}))
    environment(RANK=0, WORLD_SIZE=2, LOCAL_RANK=0)
    one_line_error(run("sweep", "--config", cfg, "--dry-run"),
                   "sweep starts one training process per GPU itself; run it without torchrun")


def test_sweep_trains_on_every_visible_gpu_for_auto_and_on_one_device_otherwise(monkeypatch):
    monkeypatch.setattr("torch.cuda.device_count", lambda: 3)
    assert sweep.sweep_devices("auto") == ["cuda:0", "cuda:1", "cuda:2"]
    assert sweep.sweep_devices("cpu") == ["cpu"]
    monkeypatch.setattr("torch.cuda.device_count", lambda: 0)
    assert sweep.sweep_devices("auto") == ["cpu"]


def test_sweep_runs_on_two_devices_train_in_two_processes(tmp_path, scenario_file):
    """Two CPU 'devices' stand for two GPUs: each run trains in a worker process, and a
    second call finds every run finished."""
    spec = sweep.SweepSpec(name="two", out_dir=str(tmp_path), scenario=str(scenario_file),
                           per_snr=[10, 20], agnostic=False, experiment={
                               "model": {"kwargs": {"channels": 4, "blocks": 1}},
                               "data": {"samples_per_epoch": 64, "val_samples": 32},
                               "train": {"epochs": 1, "batch_size": 32}})
    lines = []
    sweep.train_runs(sweep.plan_runs(spec), ["cpu", "cpu"], report=lines.append)
    assert sorted(lines) == ["trained snr10 on cpu", "trained snr20 on cpu"]
    for run_name in ("snr10", "snr20"):
        assert (tmp_path / "two" / run_name / "best.safetensors").is_file()


def test_under_torchrun_auto_and_cuda_mean_the_local_ranks_gpu(monkeypatch, environment):
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    monkeypatch.setattr("torch.cuda.device_count", lambda: 4)
    assert process_device("auto") == "cuda:0"  # not under torchrun
    environment(RANK=5, WORLD_SIZE=8, LOCAL_RANK=5)
    assert process_device("auto") == process_device("cuda") == "cuda:1"
    assert process_device("cuda:2") == "cuda:2" and process_device("cpu") == "cpu"
