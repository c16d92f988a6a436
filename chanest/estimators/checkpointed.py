"""``ckpt:PATH`` estimators: a trained checkpoint behind the estimator contract."""

from __future__ import annotations

import glob
from pathlib import Path

from chanest.data.context import GridContext, check_compatible, context_from_checkpoint
from chanest.estimators.neural import NeuralEstimator
from chanest.models import load_model
from chanest.schema import ConfigError

__all__ = ["load_neural_estimator", "load_checkpoint_estimator"]


def load_neural_estimator(path: str, ctx: GridContext, device: str = "cpu",
                          label: str | None = None) -> NeuralEstimator:
    """A :class:`NeuralEstimator` from ``PATH`` (stem of ``PATH.safetensors`` + ``PATH.json``)."""
    label = label or f"ckpt:{path}"
    model, meta, tensors = load_model(path, device)
    check_compatible(context_from_checkpoint(meta), ctx, (f"{label}: the network", "the data"))
    err_map = None
    if "err_map.mse" in tensors:
        err_map = (tensors["err_map.snr_db"].numpy(), tensors["err_map.mse"].numpy())
    est = NeuralEstimator(ctx, model, device, err_map=err_map, name=label)
    est.meta = meta
    return est


def _training_snr(meta: dict, path: str) -> float:
    snrs = (meta.get("experiment") or {}).get("data", {}).get("snr_db")
    if not snrs or len(snrs) != 1:
        raise ConfigError(f"ckpt:{path}: a glob selects a per-SNR family, but this checkpoint "
                          f"was not trained at a single SNR (data.snr_db = {snrs})")
    return float(snrs[0])


def load_checkpoint_estimator(arg: str, ctx: GridContext, device: str = "cpu"):
    """``ckpt:ARG``: one checkpoint, or a glob of per-SNR checkpoints (an SNR switch)."""
    from chanest.estimators.snrswitch import SNRSwitchEstimator

    if not any(ch in arg for ch in "*?["):
        if Path(arg).is_dir():  # a run folder: its best checkpoint
            if not (Path(arg) / "best.json").is_file():
                raise ConfigError(f"ckpt:{arg} is a folder without a best "
                                  "checkpoint (best.json); give a checkpoint stem "
                                  f"such as ckpt:{arg}/best", arg="names")
            return load_neural_estimator(str(Path(arg) / "best"), ctx, device,
                                         label=f"ckpt:{arg}")
        return load_neural_estimator(arg, ctx, device)
    stems = sorted({p[: -len(".json")] for p in glob.glob(arg + ".json")})
    if not stems:
        raise ConfigError(f"ckpt:{arg} matches no checkpoint", arg="names")
    members = {}
    for stem in stems:
        est = load_neural_estimator(stem, ctx, device)
        snr = _training_snr(est.meta, stem)
        if snr in members:
            raise ConfigError(f"ckpt:{arg}: two checkpoints trained at {snr:g} dB")
        members[snr] = est
    return SNRSwitchEstimator(members, name=f"ckpt:{arg}")
