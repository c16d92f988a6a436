"""Seed derivation: independent streams from (seed, key, key, …), stable across runs."""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["derive_seed", "chunk_seeds"]


def _key_int(key: int | str) -> int:
    if isinstance(key, int):
        return key
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little")


def derive_seed(seed: int, *keys: int | str) -> int:
    """A 63-bit seed for the stream named by ``keys`` under ``seed``."""
    ss = np.random.SeedSequence(seed, spawn_key=tuple(_key_int(k) for k in keys))
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def chunk_seeds(seed: int, chunk: int) -> tuple[int, int]:
    """Two independent 63-bit seeds (ours, Sionna's) for chunk ``chunk`` of ``seed``."""
    state = np.random.SeedSequence(seed, spawn_key=(chunk,)).generate_state(2, np.uint64)
    return int(state[0] >> np.uint64(1)), int(state[1] >> np.uint64(1))
