"""``ckpt:PATH`` estimators: a trained checkpoint behind the estimator contract."""

from __future__ import annotations

import glob
from pathlib import Path

import numpy as np

from chanest.checkpoint import load_checkpoint
from chanest.config import ConfigError
from chanest.estimators.base import GridContext
from chanest.estimators.neural import NeuralEstimator
from chanest.models import build_model

__all__ = ["load_neural_estimator", "load_trained_model", "load_checkpoint_estimator"]


def load_trained_model(path: str, device: str = "cpu"):
    """(model, metadata, tensors) of a checkpoint, weights verified and loaded."""
    tensors, meta = load_checkpoint(path, device="cpu")
    spec = meta.get("model")
    if not isinstance(spec, dict) or "name" not in spec:
        raise ConfigError(f"checkpoint {path}: no model specification in its metadata")
    model = build_model(spec["name"], **spec.get("kwargs", {}))
    weights = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    try:
        model.load_state_dict(weights)
    except RuntimeError as err:
        first = str(err).splitlines()[0] if str(err) else ""
        raise ConfigError(f"checkpoint {path}: weights do not fit model {spec['name']!r} "
                          f"({first})") from None
    if hasattr(model, "stage"):
        model.stage = "srcnn" if meta.get("stage") == "srcnn" else "dncnn"
    return model.to(device).eval(), meta, tensors


def load_neural_estimator(path: str, ctx: GridContext, device: str = "cpu",
                          label: str | None = None) -> NeuralEstimator:
    """A :class:`NeuralEstimator` from ``PATH`` (stem of ``PATH.safetensors`` + ``PATH.json``)."""
    label = label or f"ckpt:{path}"
    model, meta, tensors = load_trained_model(path, device)
    mask = np.asarray(meta.get("mask", []), dtype=bool)
    if mask.shape != ctx.mask.shape or not np.array_equal(mask, ctx.mask):
        pattern = ((meta.get("experiment") or {}).get("data") or {}).get("simulate") or "?"
        raise ConfigError(f"{label}: trained for another pilot layout ({int(mask.sum())} "
                          f"pilots on {list(mask.shape)}, scenario {pattern}) than the data's "
                          f"({int(ctx.mask.sum())} pilots on {list(ctx.mask.shape)})")
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
                raise ConfigError(f"--estimators: ckpt:{arg} is a folder without a best "
                                  "checkpoint (best.json); give a checkpoint stem such as "
                                  f"ckpt:{arg}/best")
            return load_neural_estimator(str(Path(arg) / "best"), ctx, device,
                                         label=f"ckpt:{arg}")
        return load_neural_estimator(arg, ctx, device)
    stems = sorted({p[: -len(".json")] for p in glob.glob(arg + ".json")})
    if not stems:
        raise ConfigError(f"--estimators: ckpt:{arg} matches no checkpoint")
    members = {}
    for stem in stems:
        est = load_neural_estimator(stem, ctx, device)
        snr = _training_snr(est.meta, stem)
        if snr in members:
            raise ConfigError(f"ckpt:{arg}: two checkpoints trained at {snr:g} dB")
        members[snr] = est
    return SNRSwitchEstimator(members, name=f"ckpt:{arg}")
