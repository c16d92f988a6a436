"""Small dense factorizations (eigh, solve) that stay fast on busy CPUs.

PyTorch's CPU LAPACK opens an OpenMP parallel region per (batched) factorization.
For matrices of a few hundred rows threads gain nothing, and when the cores are
shared (CI runners, another job) the barrier waits make a batch of 48×48 ``eigh``
40× slower (measured: 1.7 s vs 0.08 s). Up to :data:`SMALL` rows we therefore
factorize single-threaded; larger matrices keep the configured threads.
"""

from __future__ import annotations

import contextlib

import torch

__all__ = ["SMALL", "eigh", "solve"]

#: matrices up to this many rows are factorized single-threaded on the CPU
SMALL = 512


@contextlib.contextmanager
def _threads_for(a: torch.Tensor):
    if a.device.type != "cpu" or a.shape[-1] > SMALL or torch.get_num_threads() == 1:
        yield
        return
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


def eigh(a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``torch.linalg.eigh`` of [..., n, n] Hermitian matrices."""
    with _threads_for(a):
        return torch.linalg.eigh(a)


def solve(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``torch.linalg.solve(a, b)`` for [..., n, n] ``a``."""
    with _threads_for(a):
        return torch.linalg.solve(a, b)
