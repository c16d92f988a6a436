"""The model table: name → class, and building a model from its configured spec."""

from __future__ import annotations

import numpy as np
from torch import nn

from chanest.models.base import Model
from chanest.models.cenet import CENet
from chanest.models.channelnet import ChannelNet
from chanest.models.reesnet import ReEsNet
from chanest.schema import ConfigError

__all__ = ["MODELS", "build_model", "model_spec", "count_parameters"]

MODELS: dict[str, type[Model]] = {
    "channelnet": ChannelNet,
    "reesnet": ReEsNet,
    "cenet": CENet,
}


def _model_class(name: str) -> type[Model]:
    if name not in MODELS:
        raise ConfigError(f"model.name: unknown model {name!r}; known: {', '.join(MODELS)}")
    return MODELS[name]


def model_spec(name: str, kwargs: dict, mask: np.ndarray) -> dict:
    """``{name, kwargs}`` with the constructor arguments resolved for the pilot layout
    ``mask`` [S, F] (what a checkpoint records and :func:`build_model` takes)."""
    return {"name": name, "kwargs": _model_class(name).resolve_kwargs(kwargs, mask)}


def build_model(name: str, **kwargs) -> Model:
    """Instantiate a registered model; unknown names list the known ones."""
    cls = _model_class(name)
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise ConfigError(f"model.kwargs: {err}") from None


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
