"""HDF5 datasets: round trip, batch-size/shard/resume invariance, refusal of bad files."""

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
import yaml

from chanest.data.batch import TENSOR_FIELDS
from chanest.data.dataset import DatasetWriter, ShardSpec, open_dataset, parse_shard
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.schema import ConfigError


def write(path, sim, n, batch_size=None, shard=None, **kw):
    writer = DatasetWriter(path, sim, n, shard or ShardSpec(), batch_size, **kw)
    writer.run()
    return path


class Interrupted(Exception):
    """Stands for whatever stops a writer (Ctrl-C, a kill)."""


def interrupt_after(steps: int):
    """A progress callback that raises :class:`Interrupted` after ``steps`` progress steps
    (the first call reports the starting point, not a step)."""
    calls = []

    def progress(done, total):
        calls.append(done)
        if len(calls) > steps:
            raise Interrupted
    return progress


def arrays(path_or_paths):
    with open_dataset(path_or_paths) as ds:
        b = ds.read()
        return {k: getattr(b, k).numpy() for k in TENSOR_FIELDS}


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_round_trip_matches_simulator(tmp_path, scenario):
    sim = Simulator(scenario(channel={"model": "tdl", "profile": "A", "num_rx_antennas": 2}))
    write(tmp_path / "d.h5", sim, 70)
    ref = sim.generate(70)
    with open_dataset(tmp_path / "d.h5") as ds:
        assert len(ds) == 70 and ds.scenario == sim.scenario
        assert np.array_equal(ds.mask, sim.mask) and np.array_equal(ds.pilots, sim.pilots)
        assert ds.labels == ["tdl-A"] and ds.profiles[0].scale_delays
        assert ds.context().weights == (1.0,)
        b = ds.read(10, 45)
        assert b.h.shape == (35, 2, 14, 72) and b.y.shape == (35, 2, 48)
        assert torch.equal(b.h, ref.h[10:45]) and torch.equal(b.y, ref.y[10:45])
        assert ds.attrs["schema_version"] == 1 and ds.attrs["sionna_version"]
        assert sum(len(x) for x in ds.iter_batches(16)) == 70
    assert not (tmp_path / "d.h5.partial").exists()


def test_data_do_not_depend_on_batch_size(tmp_path, scenario):
    sim = Simulator(scenario())
    write(tmp_path / "a.h5", sim, 200, batch_size=32)
    write(tmp_path / "b.h5", sim, 200, batch_size=128)
    assert_same(arrays(tmp_path / "a.h5"), arrays(tmp_path / "b.h5"))


def test_mixture_weights_are_recorded(tmp_path, scenario):
    sim = Simulator(scenario(channel={"models": [{"model": "pdp", "weight": 3},
                                                 {"model": "rayleigh"}]}))
    write(tmp_path / "m.h5", sim, 32)
    with open_dataset(tmp_path / "m.h5") as ds:
        assert ds.context().weights == (0.75, 0.25) and ds.labels == ["pdp-VehA", "rayleigh"]


def test_shards_read_back_as_the_whole(tmp_path, scenario):
    sim = Simulator(scenario())
    write(tmp_path / "full.h5", sim, 230)
    for i in range(3):
        write(tmp_path / f"part-{i}.h5", sim, 230, shard=ShardSpec(i, 3))
    assert_same(arrays(tmp_path / "full.h5"), arrays(str(tmp_path / "part-*.h5")))
    # order of the list does not matter
    parts = [tmp_path / f"part-{i}.h5" for i in (2, 0, 1)]
    assert_same(arrays(tmp_path / "full.h5"), arrays(parts))


def test_resume_after_interruption_is_bit_identical(tmp_path, scenario):
    sim = Simulator(scenario())
    write(tmp_path / "straight.h5", sim, 300)
    out = tmp_path / "resumed.h5"
    with pytest.raises(Interrupted):  # two batches written, then the process "dies"
        DatasetWriter(out, sim, 300, batch_size=64).run(interrupt_after(2))
    assert (tmp_path / "resumed.h5.partial").exists() and not out.exists()
    with pytest.raises(ConfigError, match="incomplete|not found"):
        open_dataset(out)
    progress = []
    DatasetWriter(out, sim, 300, batch_size=64).run(lambda done, total: progress.append(done))
    assert progress[0] == 128  # resumed from the two completed batches
    assert_same(arrays(tmp_path / "straight.h5"), arrays(out))


def test_partial_from_another_run_is_refused(tmp_path, scenario):
    out = tmp_path / "x.h5"
    with pytest.raises(Interrupted):
        DatasetWriter(out, Simulator(scenario(seed=1)), 100, batch_size=32).run(
            interrupt_after(1))
    with pytest.raises(ConfigError, match="different run"):
        write(out, Simulator(scenario(seed=2)), 100)


def test_refuses_foreign_and_mismatched_files(tmp_path, scenario):
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(ConfigError, match="not a readable HDF5 file"):
        open_dataset(tmp_path / "text.h5")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(ConfigError, match="not a chanest dataset"):
        open_dataset(tmp_path / "other.h5")
    write(tmp_path / "s1.h5", Simulator(scenario(seed=1)), 40)
    write(tmp_path / "s2.h5", Simulator(scenario(seed=2)), 40)
    with pytest.raises(ConfigError, match="different scenarios"):
        open_dataset([tmp_path / "s1.h5", tmp_path / "s2.h5"])
    with pytest.raises(ConfigError, match="overlap"):
        open_dataset([tmp_path / "s1.h5", tmp_path / "s1.h5"])
    with pytest.raises(ConfigError, match="no file matches"):
        open_dataset(str(tmp_path / "nothing-*.h5"))


def test_parse_shard():
    assert parse_shard("1/4") == ShardSpec(1, 4)
    for bad in ("4/4", "-1/2", "a/b", "1", "1/0"):
        with pytest.raises(ConfigError, match="^shard: expected i/n"):
            parse_shard(bad)


def test_h_is_chunked_on_disk(tmp_path, scenario):
    """'h' is stored in HDF5 chunks no larger than a seed chunk (written chunk by chunk)."""
    sim = Simulator(scenario())
    write(tmp_path / "d.h5", sim, 96)
    with h5py.File(tmp_path / "d.h5") as f:
        assert f["h"].chunks is not None and f["h"].chunks[0] <= sim.chunk_size


def test_hard_kill_during_simulate_keeps_completed_chunks_and_resumes_identically(tmp_path):
    """SIGKILL the simulate command once some chunks are journaled; the same command then
    resumes from them (reporting so) and the file equals an uninterrupted run's."""
    import signal
    import subprocess
    import sys
    import time

    cfg = tmp_path / "sc.yaml"
    cfg.write_text(yaml.safe_dump({"chunk_size": 16, "noise": {"snr_db": [0, 20]}}))
    cmd = [sys.executable, "cli.py", "simulate", "--config", str(cfg), "-n", "2400",
           "--batch-size", "16", "-q", "--device", "cpu"]
    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "killed.h5"
    proc = subprocess.Popen(cmd + ["--out", str(out)], cwd=repo)
    journal = Path(str(out) + ".partial")
    deadline = time.time() + 120
    while time.time() < deadline and len(list(journal.glob("chunk-*.h5"))) < 3:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists() and len(list(journal.glob("chunk-*.h5"))) >= 3
    res = subprocess.run(cmd + ["--out", str(out)], cwd=repo, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert not journal.exists()
    straight = tmp_path / "straight.h5"
    write(straight, Simulator(parse_config(yaml.safe_load(cfg.read_text()))), 2400)
    assert_same(arrays(straight), arrays(out))
