"""The run folder: a run replaced with --overwrite is set aside until the new run starts,
put back if it does not, and only chanest run folders are replaced."""

from __future__ import annotations

import pytest

from chanest.schema import ConfigError
from chanest.training.runfolder import check_run_folder, replacing_run


def _old_run(tmp_path):
    run = tmp_path / "runs" / "r"
    run.mkdir(parents=True)
    (run / "experiment.yaml").write_text("name: r\n")
    (run / "last.json").write_text("{}")
    return run


def test_a_replaced_run_is_deleted_once_the_new_run_starts(tmp_path):
    run = _old_run(tmp_path)
    with replacing_run(run, overwrite=True, resume=False):
        assert not run.exists()  # set aside while the new run is built
        run.mkdir()
        (run / "new.txt").write_text("new")
    assert sorted(p.name for p in run.parent.iterdir()) == ["r"]
    assert sorted(p.name for p in run.iterdir()) == ["new.txt"]


def test_a_replaced_run_is_put_back_when_the_new_run_fails_to_start(tmp_path):
    run = _old_run(tmp_path)
    with pytest.raises(ConfigError, match="data.user"):
        with replacing_run(run, overwrite=True, resume=False):
            run.mkdir()
            (run / "partial.txt").write_text("half")
            raise ConfigError("data.user: bad")
    assert sorted(p.name for p in run.parent.iterdir()) == ["r"]
    assert sorted(p.name for p in run.iterdir()) == ["experiment.yaml", "last.json"]


def test_without_overwrite_a_folder_holding_a_run_is_refused(tmp_path):
    run = _old_run(tmp_path)
    with pytest.raises(ConfigError, match="already holds a run"):
        with replacing_run(run, overwrite=False, resume=False):
            pass
    with replacing_run(run, overwrite=False, resume=True):  # resuming it is fine
        pass
    assert (run / "last.json").exists()


def test_a_folder_that_is_not_a_run_is_never_replaced(tmp_path):
    foreign = tmp_path / "x"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep")
    with pytest.raises(ConfigError, match="not a chanest run folder"):
        with replacing_run(foreign, overwrite=True, resume=False):
            pass
    assert (foreign / "precious.txt").read_text() == "keep"


def test_overwrite_is_refused_with_resume_and_under_torchrun(tmp_path, monkeypatch):
    run = _old_run(tmp_path)
    with pytest.raises(ConfigError, match="--resume"):
        with replacing_run(run, overwrite=True, resume=True):
            pass
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ConfigError, match="torchrun"):
        with replacing_run(run, overwrite=True, resume=False):
            pass
    assert (run / "experiment.yaml").exists()


def test_a_fresh_run_needs_a_free_folder_and_a_resumed_one_its_checkpoint(tmp_path):
    run = _old_run(tmp_path)
    check_run_folder(run, resume=True)
    with pytest.raises(ConfigError, match="already holds a run"):
        check_run_folder(run, resume=False)
    with pytest.raises(ConfigError, match="no checkpoint to resume"):
        check_run_folder(tmp_path / "new", resume=True)
    check_run_folder(tmp_path / "new", resume=False)
