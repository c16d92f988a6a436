"""Atomic writes: a failed or interrupted write leaves the target as it was and no
temporary file; every writer of chanest goes through :func:`chanest.fileio.atomic_write`."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from chanest.fileio import atomic_write

REPO = Path(__file__).resolve().parents[1]


class Boom(Exception):
    pass


def test_a_completed_write_replaces_the_target_and_leaves_nothing_else(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with atomic_write(target) as f:
        f.write("new")
    with atomic_write(tmp_path / "out.bin", "wb") as f:
        f.write(b"\x00\x01")
    with atomic_write(tmp_path / "out.npy", "path") as tmp, open(tmp, "wb") as fh:
        np.save(fh, np.arange(3))
    assert target.read_text() == "new"
    assert (tmp_path / "out.bin").read_bytes() == b"\x00\x01"
    assert np.load(tmp_path / "out.npy").tolist() == [0, 1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin", "out.npy", "out.txt"]


@pytest.mark.parametrize("mode", ["w", "wb", "path"])
@pytest.mark.parametrize("error", [Boom, KeyboardInterrupt])
def test_a_write_that_fails_midway_keeps_the_old_target_and_no_temporary_file(
        tmp_path, mode, error):
    target = tmp_path / "out"
    target.write_bytes(b"old")
    with pytest.raises(error):
        with atomic_write(target, mode) as f:
            if mode == "path":
                Path(f).write_bytes(b"half")
            else:
                f.write("half" if mode == "w" else b"half")
            raise error
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_failed_first_write_leaves_no_target(tmp_path):
    with pytest.raises(Boom):
        with atomic_write(tmp_path / "new.txt") as f:
            f.write("half")
            raise Boom
    assert list(tmp_path.iterdir()) == []


def test_a_new_file_gets_the_permissions_of_an_ordinary_one(tmp_path):
    (tmp_path / "plain").write_text("x")
    with atomic_write(tmp_path / "atomic") as f:
        f.write("x")
    assert (tmp_path / "atomic").stat().st_mode == (tmp_path / "plain").stat().st_mode


def test_an_unknown_mode_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match="mode must be one of"):
        with atomic_write(tmp_path / "x", "a"):
            pass
    assert list(tmp_path.iterdir()) == []


def _python_sigint() -> None:
    """In the child before exec: SIGINT back to its default, so the Python started there
    installs its KeyboardInterrupt handler even when this test run inherited SIGINT ignored
    (a shell's background job)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_while_writing_keeps_the_old_target_and_no_temporary_file(tmp_path):
    """A process interrupted by SIGINT in the middle of a write."""
    target = tmp_path / "out.txt"
    target.write_text("old")
    script = textwrap.dedent(f"""
        import time
        from chanest.fileio import atomic_write
        with atomic_write({str(target)!r}) as f:
            f.write("half")
            f.flush()
            print("writing", flush=True)
            time.sleep(60)
            f.write(" and the rest")
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)},
                            preexec_fn=_python_sigint)
    assert proc.stdout.readline().strip() == "writing"
    assert len(list(tmp_path.iterdir())) == 2  # the target and the temporary file
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_checkpoint_save_that_fails_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    from chanest.models import checkpoint

    checkpoint.save_checkpoint(tmp_path / "last", {"w": torch.ones(3)}, {"epoch": 1})
    before = sorted(p.name for p in tmp_path.iterdir())

    def half_written(tensors, filename):
        Path(filename).write_bytes(b"half")
        raise Boom

    monkeypatch.setattr(checkpoint, "save_file", half_written)
    with pytest.raises(Boom):
        checkpoint.save_checkpoint(tmp_path / "last", {"w": torch.zeros(3)}, {"epoch": 2})
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    tensors, meta = checkpoint.load_checkpoint(tmp_path / "last")
    assert meta["epoch"] == 1 and tensors["w"].tolist() == [1.0, 1.0, 1.0]


def test_a_figure_that_fails_to_render_leaves_no_file(tmp_path):
    from chanest.plots.files import save_figure

    class Broken:
        def savefig(self, fname, **kw):
            Path(fname).write_bytes(b"%PDF half")
            raise Boom

    (tmp_path / "fig.pdf").write_bytes(b"old")
    with pytest.raises(Boom):
        save_figure(Broken(), tmp_path / "fig", ["pdf", "png"])
    assert [p.name for p in tmp_path.iterdir()] == ["fig.pdf"]
    assert (tmp_path / "fig.pdf").read_bytes() == b"old"


def test_a_dataset_whose_assembly_fails_keeps_its_journal_and_writes_no_file(
        tmp_path, monkeypatch):
    from chanest.data import writer as writer_module
    from chanest.data.scenario import parse_config
    from chanest.data.simulate import Simulator

    sim = Simulator(parse_config({"seed": 1, "chunk_size": 16}))
    out = tmp_path / "d.h5"
    writer = writer_module.DatasetWriter(out, sim, 32)
    create = writer._create

    def fails_midway(path, *layout):
        f = create(path, *layout)
        f.close()
        raise Boom

    monkeypatch.setattr(writer, "_create", fails_midway)
    with pytest.raises(Boom):
        writer.run()
    assert [p.name for p in tmp_path.iterdir()] == ["d.h5.partial"]
    assert sorted(p.name for p in writer.partial.iterdir()) == [
        "chunk-000000000.h5", "chunk-000000001.h5", "run.json"]


def test_ctrl_c_during_simulate_keeps_the_journal_and_leaves_no_temporary_or_partial_file(
        tmp_path):
    cmd = [sys.executable, "cli.py", "simulate", "-n", "100000", "--batch-size", "256", "-q",
           "--device", "cpu", "--out", str(tmp_path / "d.h5")]
    proc = subprocess.Popen(cmd, cwd=REPO, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_python_sigint)
    journal = tmp_path / "d.h5.partial"
    deadline = time.time() + 120
    while time.time() < deadline and not list(journal.glob("chunk-*.h5")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted: completed chunks kept" in err
    assert "Traceback" not in err
    assert [p.name for p in tmp_path.iterdir()] == ["d.h5.partial"]
    assert not list(journal.glob("*.tmp"))
