"""One way to save and load a model: :func:`save_model` / :func:`load_model`.

A saved model is a chanest checkpoint (:mod:`chanest.models.checkpoint`) whose tensors hold
the weights as ``model.<name>`` (plus whatever ``extra`` tensors the caller adds, e.g.
an error map or optimizer state) and whose metadata holds ``model: {name, kwargs}``
(the resolved constructor arguments) and ``stage`` (the stage it was trained in).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from chanest.models.checkpoint import load_checkpoint, save_checkpoint
from chanest.models.registry import build_model
from chanest.schema import ConfigError

__all__ = ["save_model", "load_model", "model_tensors", "load_weights", "unwrap"]

_PREFIX = "model."


def unwrap(model: nn.Module) -> nn.Module:
    """The model itself under a DDP and/or ``torch.compile`` wrapper."""
    model = getattr(model, "module", model)  # DDP
    return getattr(model, "_orig_mod", model)  # torch.compile


def model_tensors(model: nn.Module) -> dict[str, torch.Tensor]:
    """The weights of ``model`` as checkpoint tensors ``model.<name>``."""
    return {f"{_PREFIX}{k}": v for k, v in unwrap(model).state_dict().items()}


def load_weights(model: nn.Module, tensors: dict[str, torch.Tensor]) -> None:
    """Load the ``model.<name>`` tensors of a checkpoint into ``model`` (strict)."""
    weights = {k[len(_PREFIX):]: v for k, v in tensors.items() if k.startswith(_PREFIX)}
    unwrap(model).load_state_dict(weights)


def save_model(stem: str | Path, model: nn.Module, meta: dict,
               extra: dict[str, torch.Tensor] | None = None) -> Path:
    """Write ``model`` (weights + ``extra`` tensors) and ``meta`` (which holds the model
    spec ``model: {name, kwargs}``) as checkpoint ``stem``; returns the stem path."""
    return save_checkpoint(stem, {**model_tensors(model), **(extra or {})}, meta)


def load_model(stem: str | Path, device: str = "cpu"):
    """(model, metadata, tensors) of a saved model: built from its spec, weights verified
    and loaded, switched to the stage it was trained in, in eval mode on ``device``."""
    tensors, meta = load_checkpoint(stem, device="cpu")
    spec = meta.get("model")
    if not isinstance(spec, dict) or "name" not in spec:
        raise ConfigError(f"checkpoint {stem}: no model specification in its metadata")
    model = build_model(spec["name"], **spec.get("kwargs", {}))
    try:
        load_weights(model, tensors)
    except RuntimeError as err:
        first = str(err).splitlines()[0] if str(err) else ""
        raise ConfigError(f"checkpoint {stem}: weights do not fit model {spec['name']!r} "
                          f"({first})") from None
    model.enter_stage(meta.get("stage"))
    return model.to(device).eval(), meta, tensors
