"""The run folder ``<out_dir>/<name>/`` of a training run: one run per folder.

* :func:`check_run_folder`: a fresh run needs a folder without a run, a resumed one a
  folder with its ``last`` checkpoint;
* :func:`replacing_run`: start afresh over an earlier run of the same name. The earlier
  run is set aside under a unique hidden name beside it until the new run's data and
  model check out (the block builds the :class:`~chanest.training.loop.Trainer`), then
  deleted; if the block fails, the earlier run is put back. Refused under torchrun
  (every process would replace the run) and for a folder that is not a chanest run (no
  ``experiment.yaml``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chanest.models.checkpoint import checkpoint_paths
from chanest.schema import ConfigError

__all__ = ["check_run_folder", "replacing_run"]


def check_run_folder(run_dir: Path, resume: bool) -> None:
    """ConfigError unless ``run_dir`` holds a run to resume (``resume``) or none."""
    last_json = checkpoint_paths(run_dir / "last")[1]
    if resume and not last_json.exists():
        raise ConfigError(f"no checkpoint to resume in {run_dir}", arg="resume")
    if not resume and last_json.exists():
        raise ConfigError(f"{run_dir} already holds a run; resume it "
                                "(resume=True) or give the experiment another name", arg="exp")


def _set_aside(run_dir: Path) -> Path:
    """Move the run in ``run_dir`` to a unique hidden folder beside it; returns its path."""
    if not (run_dir / "experiment.yaml").is_file():
        raise ConfigError(f"--overwrite: {run_dir} is not a chanest run folder "
                          "(no experiment.yaml); remove it yourself")
    aside = Path(tempfile.mkdtemp(prefix=f".{run_dir.name}.replaced-",
                                  dir=run_dir.parent)) / run_dir.name
    run_dir.rename(aside)
    return aside


def _put_back(aside: Path, run_dir: Path) -> None:
    """The run set aside at ``aside`` back into ``run_dir``, over what a new run left."""
    shutil.rmtree(run_dir, ignore_errors=True)
    aside.rename(run_dir)
    aside.parent.rmdir()


@contextmanager
def replacing_run(run_dir: Path, overwrite: bool, resume: bool) -> Iterator[None]:
    """The block starts the run in ``run_dir``; with ``overwrite`` over an earlier run
    (module docstring). ConfigError if the options conflict or the folder already holds
    a run that is neither resumed nor replaced."""
    if overwrite and resume:
        raise ConfigError("--overwrite: cannot be combined with --resume")
    if overwrite and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise ConfigError("--overwrite: not under torchrun (every process would replace the "
                          "run); remove the run folder first or choose another --name")
    aside = _set_aside(run_dir) if overwrite and run_dir.is_dir() else None
    if not resume and (run_dir / "last.json").exists():
        raise ConfigError(f"--config: {run_dir} already holds a run; pass --resume to "
                          "continue it, --overwrite to start afresh, or choose another --name")
    try:
        yield
    except BaseException:
        if aside is not None:
            _put_back(aside, run_dir)
        raise
    if aside is not None:
        shutil.rmtree(aside.parent)
