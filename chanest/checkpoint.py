"""Checkpoints: tensors in safetensors, metadata in JSON; nothing goes through pickle.

A checkpoint ``STEM`` is the pair ``STEM.safetensors`` + ``STEM.json``. The JSON
records the format, the sha256 of the tensor file and whatever the caller
stores (model name and arguments, grid, training state scalars). Loading
verifies the format and the hash, so a truncated, edited or foreign file is
refused with one line instead of being half-loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from chanest.config import ConfigError
from chanest.versions import versions

__all__ = ["FORMAT", "FORMAT_VERSION", "save_checkpoint", "load_checkpoint", "checkpoint_paths"]

FORMAT = "chanest-checkpoint"
FORMAT_VERSION = 1


def checkpoint_paths(stem: str | Path) -> tuple[Path, Path]:
    """(tensor file, metadata file) of a checkpoint stem (a trailing suffix is ignored)."""
    stem = Path(stem)
    if stem.suffix in (".safetensors", ".json"):
        stem = stem.with_suffix("")
    return stem.with_name(stem.name + ".safetensors"), stem.with_name(stem.name + ".json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_checkpoint(stem: str | Path, tensors: dict[str, torch.Tensor], meta: dict) -> Path:
    """Write ``STEM.safetensors`` and ``STEM.json`` atomically; returns the stem path."""
    weights, meta_path = checkpoint_paths(stem)
    weights.parent.mkdir(parents=True, exist_ok=True)
    tmp_w = weights.with_name(weights.name + ".tmp")
    save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp_w))
    full = {"format": FORMAT, "format_version": FORMAT_VERSION,
            "tensors_sha256": _sha256(tmp_w), "versions": versions(), **meta}
    tmp_m = meta_path.with_name(meta_path.name + ".tmp")
    tmp_m.write_text(json.dumps(full, indent=1, allow_nan=True))
    os.replace(tmp_w, weights)
    os.replace(tmp_m, meta_path)
    return weights.with_suffix("")


def load_checkpoint(stem: str | Path, device: str = "cpu") -> tuple[dict[str, torch.Tensor], dict]:
    """Read and verify a checkpoint: (tensors, metadata). ConfigError if anything is off."""
    weights, meta_path = checkpoint_paths(stem)
    for p in (weights, meta_path):
        if not p.is_file():
            raise ConfigError(f"checkpoint {stem}: file not found: {p}")
    try:
        meta = json.loads(meta_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ConfigError(f"checkpoint {stem}: {meta_path.name} is not valid JSON") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ConfigError(f"checkpoint {stem}: not a chanest checkpoint (format "
                          f"{meta.get('format') if isinstance(meta, dict) else None!r})")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ConfigError(f"checkpoint {stem}: format version {meta.get('format_version')}; "
                          f"this chanest reads {FORMAT_VERSION}")
    if _sha256(weights) != meta.get("tensors_sha256"):
        raise ConfigError(f"checkpoint {stem}: {weights.name} does not match the hash in "
                          f"{meta_path.name} (modified or corrupted)")
    try:
        tensors = load_file(str(weights), device=device)
    except (SafetensorError, OSError, RuntimeError) as err:
        raise ConfigError(f"checkpoint {stem}: cannot read {weights.name} ({err})") from None
    return tensors, meta
