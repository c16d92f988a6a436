"""``train.deterministic``: run-to-run identical training on a GPU.

On a CPU, training is deterministic without it: the same experiment and seed give
bit-identical weights. On CUDA, cuDNN picks convolution algorithms by timing them and
some kernels accumulate with atomics, so two runs differ in the last bits and then drift
apart. :func:`apply_determinism` sets, for the whole process:

* ``torch.use_deterministic_algorithms(True, warn_only=True)``: deterministic kernels
  where PyTorch has them; an operation without one warns, naming itself;
* ``torch.backends.cudnn.deterministic = True`` and ``torch.backends.cudnn.benchmark =
  False``;
* ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` unless already set (cuBLAS reads it when the
  process first uses it, so the trainer applies this before touching the GPU).

With it, the same experiment on the same GPU type, driver, CUDA, cuDNN and PyTorch
gives identical weights; across GPU types or versions the kernels, and so the last
bits, differ.
"""

from __future__ import annotations

import os

import torch

__all__ = ["CUBLAS_WORKSPACE", "apply_determinism"]

#: the cuBLAS workspace setting that makes its kernels deterministic
CUBLAS_WORKSPACE = ":4096:8"


def apply_determinism(enabled: bool) -> None:
    """The process-wide settings above when ``enabled``; nothing otherwise."""
    if not enabled:
        return
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
