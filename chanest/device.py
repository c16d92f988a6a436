"""Device selection: ``auto | cpu | cuda[:N]``."""

from __future__ import annotations

import re

import torch

from chanest.schema import ConfigError

__all__ = ["resolve_device"]


def resolve_device(spec: str = "auto", field: str = "device") -> str:
    """Resolve a device spec to ``"cpu"`` or ``"cuda:N"`` (ConfigError if unavailable)."""
    spec = (spec or "auto").strip().lower()
    if spec == "auto":
        return "cuda:0" if torch.cuda.is_available() else "cpu"
    if spec == "cpu":
        return "cpu"
    match = re.fullmatch(r"cuda(?::(\d+))?", spec)
    if not match:
        raise ConfigError(f"expected auto, cpu or cuda[:N], got {spec!r}", arg=field)
    index = int(match.group(1) or 0)
    if not torch.cuda.is_available() or index >= torch.cuda.device_count():
        raise ConfigError(f"{spec} requested but {torch.cuda.device_count()} "
                          "CUDA device(s) are available", arg=field)
    return f"cuda:{index}"
