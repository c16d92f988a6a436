"""Seed derivation: independent streams from (seed, key, key, …), stable across runs."""

from __future__ import annotations

import contextlib
import hashlib

import numpy as np

__all__ = ["derive_seed", "chunk_seeds", "sionna_rng_seeded"]


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


@contextlib.contextmanager
def sionna_rng_seeded(device: str, seed: int):
    """Seed Sionna's torch generator for ``device`` (the one its channel models, sources
    and pilot patterns draw from) and restore its state on exit."""
    from sionna.phy import config as sionna_config

    gen = sionna_config.torch_rng(device)
    saved = gen.get_state()
    gen.manual_seed(seed)
    try:
        yield
    finally:
        gen.set_state(saved)
