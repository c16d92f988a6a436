"""Data parallel training: on 2 gloo ranks (torchrun, spawned processes) the ranks read or
simulate disjoint grids that together are what one process sees, train like one process
with the global batch, end with identical weights and one log, and finish however the
grids split over them (a rank without validation grids included)."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from chanest.data.dataset import DatasetWriter
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.schema import ConfigError
from chanest.training import distributed
from chanest.training.data import DatasetSource
from chanest.training.experiment import parse_experiment
from chanest.training.loader import RankBatches
from chanest.training.loop import Trainer
from tests.ddp_worker import grid_ids, record_run
from tests.training_setup import SCENARIO

REPO = Path(__file__).resolve().parents[1]


def torchrun(tmp_path: Path, config: dict, timeout: float = 150) -> list[dict]:
    """Train ``config`` on 2 gloo ranks; what each rank saw (tests/ddp_worker.py). A run
    that does not finish within ``timeout`` s fails the test (its processes are killed)."""
    path = tmp_path / f"{config['name']}.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
           "2", str(REPO / "tests" / "ddp_worker.py"), str(path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()  # torchrun stops its workers (they run in sessions of their own)
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"the 2-rank run did not finish within {timeout:g} s")
    assert proc.returncode == 0, err[-3000:]
    run = Path(config["out_dir"]) / config["name"]
    return [json.loads((run / f"rank{r}-of-2.json").read_text()) for r in (0, 1)]


def _scenario_file(tmp_path: Path, **overrides) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump({**SCENARIO, **overrides}))
    return path


def test_two_ranks_simulate_their_own_chunks_and_finish_when_one_has_no_validation_grids(
        tmp_path):
    """256 training grids per epoch, 64 validation grids in one chunk, batch 64: rank 1 has
    no validation grid (the case that hung). Each rank simulates only its own chunks, which
    together are one process's; both end with the same weights, rank 0 writes the log."""
    config = {"name": "ddp", "out_dir": str(tmp_path / "runs"), "seed": 3,
              "model": {"name": "cenet", "kwargs": {"channels": 8, "blocks": 2}},
              "data": {"simulate": str(_scenario_file(tmp_path, chunk_size=64)),
                       "samples_per_epoch": 256, "val_samples": 64},
              "train": {"epochs": 2, "batch_size": 64, "patience": None}}
    ranks = torchrun(tmp_path, config)
    assert ranks[0]["sha256"] == ranks[1]["sha256"]
    assert [len(r["train"]) for r in ranks] == [4, 4]  # 2 steps x 2 epochs each
    assert [len(r["val"]) for r in ranks] == [2, 0]  # one batch per epoch on rank 0 only
    train = [set(r["chunks"]["train"]) for r in ranks]
    assert not train[0] & train[1] and train[0] | train[1] == set(range(8))  # 512 grids
    assert [r["chunks"]["val"] for r in ranks] == [[0], []]
    log = (tmp_path / "runs" / "ddp" / "log.csv").read_text().splitlines()
    assert len(log) == 3  # header + 2 epochs


def test_two_ranks_train_like_one_process_with_twice_the_batch(tmp_path):
    """On a stored dataset (ReEsNet: no batch norm), 2 ranks with batch 16 read, step by
    step, disjoint grids whose union is one process's batch of 32, split 48 validation
    grids (3 batches: 2 + 1) between them, and end with that process's weights."""
    sim = Simulator(parse_config(SCENARIO))
    DatasetWriter(tmp_path / "train.h5", sim, 128).run()
    DatasetWriter(tmp_path / "val.h5", Simulator(parse_config({**SCENARIO, "seed": 9})),
                  48).run()

    def config(name, batch_size):
        return {"name": name, "out_dir": str(tmp_path / "runs"), "seed": 5,
                "model": {"name": "reesnet", "kwargs": {"filters": 4, "blocks": 1}},
                "data": {"train": str(tmp_path / "train.h5"), "val": str(tmp_path / "val.h5"),
                         "workers": 0},
                "train": {"epochs": 2, "batch_size": batch_size, "patience": None,
                          "lr": 3e-3}}

    ranks = torchrun(tmp_path, config("two", 16))
    one, seen = record_run(config("one", 32))
    assert [len(r["train"]) for r in ranks] == [len(seen["train"])] * 2 == [8, 8]
    for step, whole in enumerate(seen["train"]):
        a, b = (set(r["train"][step]) for r in ranks)
        assert not a & b and a | b == set(whole) and len(whole) == 32
    val = [[g for batch in r["val"] for g in batch] for r in ranks]
    assert [len(v) for v in val] == [2 * 32, 2 * 16]  # per epoch: 32 and 16 grids
    assert not set(val[0]) & set(val[1])
    assert set(val[0]) | set(val[1]) == {g for batch in seen["val"] for g in batch}
    mine = one.model.state_dict()
    for key, value in ranks[0]["weights"].items():
        torch.testing.assert_close(torch.tensor(value, dtype=mine[key].dtype), mine[key],
                                   rtol=1e-4, atol=1e-5, msg=key)


@pytest.mark.parametrize("n,batch_size,world", [(10, 4, 2), (64, 64, 2), (5, 8, 3),
                                                (100, 7, 4), (3, 1, 5)])
def test_validation_batches_of_the_ranks_cover_every_grid_once(n, batch_size, world):
    """However small or uneven the split (ranks with no batch included)."""
    index = np.arange(100, 100 + n)
    parts = [np.concatenate([b for b in RankBatches(index, batch_size, r, world)] or
                            [np.zeros(0, np.int64)]) for r in range(world)]
    assert sorted(np.concatenate(parts).tolist()) == index.tolist()
    assert [len(list(RankBatches(index, batch_size, r, world))) for r in range(world)] == \
        [len(RankBatches(index, batch_size, r, world)) for r in range(world)]


@pytest.mark.parametrize("world", [2, 3])
def test_shuffled_batches_of_the_ranks_are_one_process_batches_split(world):
    index = np.arange(50, 150)
    ranks = [list(RankBatches(index, 8, r, world, seed=4)) for r in range(world)]
    whole = list(RankBatches(index, 8 * world, 0, 1, seed=4))
    assert all(len(r) == len(whole) == 100 // (8 * world) for r in ranks)
    for step, batch in enumerate(whole):
        parts = [set(r[step].tolist()) for r in ranks]
        assert set().union(*parts) == set(batch.tolist())
        assert sum(len(p) for p in parts) == len(batch)
    assert ranks[0][0].tolist() != list(RankBatches(index, 8, 0, world, seed=5))[0].tolist()


def test_reader_processes_give_the_batches_read_in_the_training_process(tmp_path):
    path = tmp_path / "d.h5"
    DatasetWriter(path, Simulator(parse_config(SCENARIO)), 96).run()
    batches = {}
    for workers in (0, 2):
        source = DatasetSource(str(path), "cpu", seed=1, workers=workers)
        batches[workers] = [grid_ids(b) for e in (0, 1) for b in source.batches(e, 16)] + \
            [grid_ids(b) for b in source.all(40)]
        source.close()
    assert batches[0] == batches[2] and len(batches[0]) == 2 * 6 + 3


def test_snr_selection_of_a_stored_dataset_reads_only_grids_at_those_snrs(tmp_path):
    path = tmp_path / "d.h5"
    DatasetWriter(path, Simulator(parse_config(SCENARIO)), 64).run()
    source = DatasetSource(str(path), "cpu", snrs=[20], workers=0)
    assert len(source) == 32
    snrs = torch.cat([b.snr_db for b in source.all(10)])
    assert len(snrs) == 32 and torch.all(snrs == 20)
    with pytest.raises(ConfigError, match="data.snr_db"):
        DatasetSource(str(path), "cpu", snrs=[5], workers=0)


def _two_rank_trainer(tmp_path, scenario_file, monkeypatch, rank: int, train: dict):
    """A Trainer built as rank ``rank`` of 2 (the process group faked) for a tiny CENet."""
    monkeypatch.setattr("chanest.training.loop.init_distributed",
                        lambda device: (distributed.DistInfo(rank=rank, world=2), device))
    exp = parse_experiment({"name": "s", "out_dir": str(tmp_path),
                            "data": {"simulate": str(scenario_file), "samples_per_epoch": 64,
                                     "val_samples": 32},
                            "model": {"kwargs": {"channels": 4, "blocks": 1}},
                            "train": train})
    return Trainer(exp, "cpu", progress=False)


def test_sync_batchnorm_under_ddp_on_the_cpu_is_a_config_error(tmp_path, scenario_file,
                                                                 monkeypatch):
    """PyTorch synchronises batch norm on GPUs only: two CPU ranks get one line, before
    any collective."""
    with pytest.raises(ConfigError, match="train.sync_batchnorm: .*GPUs only"):
        _two_rank_trainer(tmp_path, scenario_file, monkeypatch, 0,
                          {"sync_batchnorm": True, "batch_size": 16})


def test_more_ranks_than_training_batches_is_a_config_error_before_any_collective(
        tmp_path, scenario_file, monkeypatch):
    """64 grids per epoch in batches of 64 over 2 ranks leave no step for either: every
    rank stops with the same one line (no rank waits in a collective for the other)."""
    with pytest.raises(ConfigError, match=r"train.batch_size: 64 x 2 rank\(s\) exceeds the 64"):
        _two_rank_trainer(tmp_path, scenario_file, monkeypatch, 1, {"batch_size": 64})
