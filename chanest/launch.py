"""What launched this process: ``torchrun`` or a SLURM job array, read from the environment.

* torchrun sets ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK`` (this process's GPU on its node);
* a SLURM job array (``sbatch --array=0-(n-1)``) sets ``SLURM_ARRAY_TASK_ID``,
  ``SLURM_ARRAY_TASK_COUNT`` and ``SLURM_ARRAY_TASK_MIN``.

``--shard auto`` (``simulate``, ``evaluate``) takes this process's shard from them.
"""

from __future__ import annotations

import os

from chanest.device import resolve_device
from chanest.schema import ConfigError

__all__ = ["torchrun_world", "shard_from_environment", "process_device"]

_TORCHRUN = ("RANK", "WORLD_SIZE")
_SLURM = ("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT")


def _ints(names: tuple[str, ...], arg: str) -> list[int]:
    try:
        return [int(os.environ[n]) for n in names]
    except ValueError:
        values = ", ".join(f"{n}={os.environ[n]!r}" for n in names)
        raise ConfigError(f"expected integers in {values}", arg=arg) from None


def torchrun_world() -> int | None:
    """The number of processes torchrun started (``WORLD_SIZE``), None outside torchrun."""
    if "WORLD_SIZE" not in os.environ:
        return None
    return _ints(("WORLD_SIZE",), "WORLD_SIZE")[0]


def shard_from_environment(arg: str = "shard") -> str:
    """This process's shard ``i/n``: torchrun's ``RANK/WORLD_SIZE``, else the SLURM array
    task's index from the first task and the task count; ConfigError naming ``arg`` when
    neither is set."""
    if all(n in os.environ for n in _TORCHRUN):
        rank, world = _ints(_TORCHRUN, arg)
        return f"{rank}/{world}"
    if all(n in os.environ for n in _SLURM):
        task, count = _ints(_SLURM, arg)
        first = _ints(("SLURM_ARRAY_TASK_MIN",), arg)[0] \
            if "SLURM_ARRAY_TASK_MIN" in os.environ else 0
        return f"{task - first}/{count}"
    raise ConfigError("auto needs RANK and WORLD_SIZE (torchrun) or SLURM_ARRAY_TASK_ID and "
                      "SLURM_ARRAY_TASK_COUNT (a SLURM job array); none is set, give i/n",
                      arg=arg)


def process_device(spec: str = "auto", field: str = "device") -> str:
    """:func:`chanest.device.resolve_device`, except that under torchrun ``auto`` and
    ``cuda`` mean this process's GPU on its node (``LOCAL_RANK``, modulo the GPU count)."""
    device = resolve_device(spec, field)
    bare = (spec or "auto").strip().lower() in ("auto", "cuda")
    if bare and device.startswith("cuda") and torchrun_world() is not None:
        import torch

        local = _ints(("LOCAL_RANK",), field)[0] if "LOCAL_RANK" in os.environ else 0
        device = f"cuda:{local % torch.cuda.device_count()}"
    return device
