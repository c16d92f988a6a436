"""The run's checkpoints: ``best`` (weights + error map) and ``last`` (exact resume).

``last`` holds everything an interrupted run needs to continue bit for bit: weights,
optimizer and scheduler state, grad-scaler state, RNG state and the
:class:`TrainState` (stage, epoch, early-stopping counters). Both are chanest
checkpoints written through :func:`chanest.models.save_model`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from chanest.models.checkpoint import load_checkpoint
from chanest.models.io import load_weights, save_model
from chanest.schema import ConfigError

__all__ = ["TrainState", "save_best", "save_last", "read_last", "restore_optimizer"]


@dataclass
class TrainState:
    stage_index: int = 0
    epoch: int = 0  # epochs completed in the current stage
    global_epoch: int = 0  # epochs completed over all stages
    best: float = math.inf  # best validation NMSE (dB) in the current stage
    best_epoch: int = -1
    bad_epochs: int = 0
    finished: bool = False


def save_best(run_dir: Path, model, meta: dict, err_map: tuple[np.ndarray, np.ndarray],
              metrics: dict, stage: str, epoch: int) -> None:
    """``best``: the weights, the measured error map (snr_db [K], mse [K, S, F]) and the
    validation metrics of this epoch."""
    snrs, mse = err_map
    extra = {"err_map.mse": torch.as_tensor(mse, dtype=torch.float32),
             "err_map.snr_db": torch.as_tensor(snrs, dtype=torch.float32)}
    save_model(run_dir / "best", model,
               {**meta, "kind": "weights", "metrics": metrics, "stage": stage, "epoch": epoch},
               extra)


def save_last(run_dir: Path, model, meta: dict, state: TrainState, optimizer, scheduler,
              scaler, device: str) -> None:
    """``last``: everything for an exact resume (at a stage's start the optimizer and
    schedule are left out: the next stage builds new ones)."""
    opt = optimizer.state_dict()
    extra = {f"optim.{idx}.{key}": torch.as_tensor(val)
             for idx, st in opt["state"].items() for key, val in st.items()}
    extra["rng.cpu"] = torch.get_rng_state()
    if device.startswith("cuda"):
        extra["rng.cuda"] = torch.cuda.get_rng_state(device)
    fresh_stage = state.epoch == 0
    meta = {**meta, "kind": "resume", "state": asdict(state),
            "optimizer": None if fresh_stage else {
                "param_groups": opt["param_groups"],
                "state_keys": {str(i): list(s) for i, s in opt["state"].items()}},
            "scheduler": scheduler.state_dict() if scheduler and not fresh_stage else None,
            "grad_scaler": scaler.state_dict() if scaler.is_enabled() else None}
    save_model(run_dir / "last", model, meta, extra)


def read_last(run_dir: Path, model, model_name: str, device: str) -> tuple[TrainState, dict]:
    """Load ``last`` into ``model`` and the RNGs; returns the state and the metadata
    (with its tensors under ``_tensors``, for :func:`restore_optimizer`)."""
    tensors, meta = load_checkpoint(run_dir / "last", device="cpu")
    if meta.get("kind") != "resume" or meta["model"]["name"] != model_name:
        raise ConfigError(f"{run_dir}/last is not a resume checkpoint of "
                          "this experiment", arg="resume")
    load_weights(model, tensors)
    state = TrainState(**meta["state"])
    torch.set_rng_state(tensors["rng.cpu"])
    if "rng.cuda" in tensors and device.startswith("cuda"):
        torch.cuda.set_rng_state(tensors["rng.cuda"], device)
    meta["_tensors"] = tensors
    return state, meta


def restore_optimizer(meta: dict, optimizer, scheduler, scaler) -> None:
    """Restore optimizer, schedule and grad-scaler state saved by :func:`save_last`."""
    tensors = meta["_tensors"]
    if meta["optimizer"] is None:
        return
    state = {int(i): {k: tensors[f"optim.{i}.{k}"] for k in keys}
             for i, keys in meta["optimizer"]["state_keys"].items()}
    optimizer.load_state_dict({"state": state,
                               "param_groups": meta["optimizer"]["param_groups"]})
    if scheduler is not None and meta["scheduler"] is not None:
        scheduler.load_state_dict(meta["scheduler"])
    if meta["grad_scaler"] is not None:
        scaler.load_state_dict(meta["grad_scaler"])
