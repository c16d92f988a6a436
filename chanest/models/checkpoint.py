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

from chanest.fileio import atomic_write
from chanest.schema import ConfigError
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
    # the inner block commits first: the tensors are renamed into place before the
    # metadata; a kill between the two renames leaves the pair inconsistent, and
    # load_checkpoint then uses STEM.prev
    with atomic_write(meta_path) as meta_file, atomic_write(weights, "path") as tmp_w:
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp_w))
        full = {"format": FORMAT, "format_version": FORMAT_VERSION,
                "tensors_sha256": _sha256(tmp_w), "versions": versions(), **meta}
        meta_file.write(json.dumps(full, indent=1, allow_nan=True))
        _keep_previous(weights, meta_path)
    return weights.with_suffix("")


def _prev_paths(weights: Path, meta_path: Path) -> tuple[Path, Path]:
    return (weights.with_name(weights.stem + ".prev" + weights.suffix),
            meta_path.with_name(meta_path.stem + ".prev" + meta_path.suffix))


def _keep_previous(weights: Path, meta_path: Path) -> None:
    """Hard-link the current complete pair as STEM.prev.* before it is replaced."""
    if not (weights.is_file() and meta_path.is_file()):
        return
    try:
        _verified(weights, meta_path, str(weights.with_suffix("")))
    except ConfigError:
        return  # never overwrite a good .prev with a broken pair
    for src, dst in zip((weights, meta_path), _prev_paths(weights, meta_path)):
        tmp = dst.with_name(dst.name + ".tmp")
        if tmp.exists():
            tmp.unlink()
        os.link(src, tmp)
        os.replace(tmp, dst)


def load_checkpoint(stem: str | Path, device: str = "cpu") -> tuple[dict[str, torch.Tensor], dict]:
    """Read and verify a checkpoint: (tensors, metadata). ConfigError if anything is off.

    If the pair is inconsistent *because a save was killed between its two renames* (the
    metadata is still the previous save's, the very file kept as ``STEM.prev.json``), the
    previous complete pair is read instead; any other mismatch is an error.
    """
    weights, meta_path = checkpoint_paths(stem)
    try:
        meta = _verified(weights, meta_path, stem)
    except ConfigError:
        prev = _prev_paths(weights, meta_path)
        interrupted = meta_path.is_file() and prev[1].is_file() and prev[0].is_file() and \
            os.path.samefile(meta_path, prev[1])
        if not interrupted:
            raise
        weights = prev[0]
        meta = _verified(weights, prev[1], stem)
    try:
        tensors = load_file(str(weights), device=device)
    except (SafetensorError, OSError, RuntimeError) as err:
        raise ConfigError(f"checkpoint {stem}: cannot read {weights.name} ({err})") from None
    return tensors, meta


def _verified(weights: Path, meta_path: Path, stem) -> dict:
    """Check presence, format and hash of a pair; returns its metadata."""
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
    return meta
