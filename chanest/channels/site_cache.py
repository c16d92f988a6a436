"""Cache of traced position sets: ray tracing is the expensive step of a site model.

Each draw of a site sampler (one seed chunk of a dataset, or one model's share of it)
traces one position set, derived from a seed drawn from the chunk's generator. Its
result is stored as one ``.npz`` file named by the sha256 of a *key*: the scene's content
digest (XML and meshes) and every setting that changes the traced paths (base station,
array, carrier, region and split, user height, solver settings, number of positions, the
set's seed, :data:`FORMAT`). Each file also stores its key; a file whose stored key
differs from the expected one is traced again and replaced, never used.

Files are written atomically, one per position set, so simulations that run in shards
or resume after an interruption share the cache without coordination. The folder is
``$CHANEST_CACHE_DIR/sites`` (default ``~/.cache/chanest/sites``).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import numpy as np

from chanest.fileio import atomic_write

__all__ = ["FORMAT", "cache_folder", "cache_key", "cache_path", "load", "save"]

#: bump when what a file holds, or how it is traced, changes
FORMAT = 1


def cache_folder() -> Path:
    """The cache folder (created when missing)."""
    root = os.environ.get("CHANEST_CACHE_DIR") or Path.home() / ".cache" / "chanest"
    folder = Path(root) / "sites"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cache_key(settings: dict) -> str:
    """The canonical JSON text of ``settings`` plus :data:`FORMAT` (what a file stores)."""
    return json.dumps({"format": FORMAT, **settings}, sort_keys=True)


def cache_path(key: str) -> Path:
    """Where the set with ``key`` is stored."""
    return cache_folder() / f"{hashlib.sha256(key.encode()).hexdigest()}.npz"


def load(key: str) -> dict[str, np.ndarray] | None:
    """The arrays stored for ``key``, or None when absent, unreadable or another key's."""
    path = cache_path(key)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != key:
                return None
            return {name: data[name] for name in data.files if name != "key"}
    except (OSError, ValueError, KeyError):
        return None


def save(key: str, arrays: dict[str, np.ndarray]) -> Path:
    """Store ``arrays`` under ``key`` (atomically); returns the file."""
    path = cache_path(key)
    buf = io.BytesIO()
    np.savez(buf, key=np.array(key), **arrays)
    with atomic_write(path, "wb") as fh:
        fh.write(buf.getvalue())
    return path
