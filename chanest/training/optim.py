"""Optimizer, learning-rate schedule and mixed precision (``train.*`` settings)."""

from __future__ import annotations

from contextlib import nullcontext

import torch

from chanest.training.experiment import TrainSpec

__all__ = ["amp_dtype", "autocast", "make_optimizer", "make_scheduler", "step_scheduler"]


def amp_dtype(amp: str, device: str):
    """The autocast dtype of ``train.amp`` on ``device`` (None: full precision)."""
    cuda = device.startswith("cuda")
    if amp == "off" or (amp == "auto" and not cuda):
        return None
    if amp == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if amp == "bf16" else torch.float16


def autocast(dtype, device: str):
    """An autocast context for ``dtype`` (a no-op for None)."""
    if dtype is None:
        return nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=dtype)


def make_optimizer(params: list, t: TrainSpec) -> torch.optim.Optimizer:
    opt_cls = torch.optim.AdamW if t.optimizer == "adamw" else torch.optim.Adam
    return opt_cls(params, lr=t.lr, weight_decay=t.weight_decay)


def make_scheduler(optimizer: torch.optim.Optimizer, t: TrainSpec, epochs: int):
    """The schedule of ``train.schedule`` over a stage of ``epochs`` (None for ``none``)."""
    if t.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    if t.schedule == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, factor=0.5, patience=max(1, (t.patience or 10) // 3))
    return None


def step_scheduler(scheduler, score_db: float) -> None:
    """One epoch's schedule step (the plateau schedule watches the validation score)."""
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(score_db)
    elif scheduler is not None:
        scheduler.step()
