"""The model table: name → class, and building a model from its configured spec."""

from __future__ import annotations

import inspect

import numpy as np
from torch import nn

from chanest.models.arraynet import ArrayNet
from chanest.models.attention import AxialAttention
from chanest.models.base import Model
from chanest.models.cenet import CENet
from chanest.models.channelnet import ChannelNet
from chanest.models.ddae import DDAE
from chanest.models.inreesnet import InReEsNet
from chanest.models.mtre import MTRE
from chanest.models.reesnet import ReEsNet
from chanest.models.score import Score
from chanest.schema import ConfigError

__all__ = ["MODELS", "build_model", "model_spec", "count_parameters"]

MODELS: dict[str, type[Model]] = {
    "channelnet": ChannelNet,
    "reesnet": ReEsNet,
    "cenet": CENet,
    "arraynet": ArrayNet,
    "inreesnet": InReEsNet,
    "attention": AxialAttention,
    "mtre": MTRE,
    "ddae": DDAE,
    "score": Score,
}


def _model_class(name: str) -> type[Model]:
    if name not in MODELS:
        raise ConfigError(f"model.name: unknown model {name!r}; known: {', '.join(MODELS)}")
    return MODELS[name]


def _construction_error(name: str, cls: type[Model], err: Exception) -> ConfigError:
    """``model.kwargs: NAME: what is wrong`` (the model's message names the argument)."""
    text = str(err).removeprefix(f"{cls.__name__}.__init__() ")
    return ConfigError(f"model.kwargs: {name}: {text}")


def model_spec(name: str, kwargs: dict, mask: np.ndarray) -> dict:
    """``{name, kwargs}`` with the constructor arguments resolved for the pilot layout
    ``mask`` [S, F] (what a checkpoint records and :func:`build_model` takes)."""
    cls = _model_class(name)
    try:
        return {"name": name, "kwargs": cls.resolve_kwargs(kwargs, mask)}
    except ValueError as err:
        raise _construction_error(name, cls, err) from None


def build_model(name: str, **kwargs) -> Model:
    """Instantiate a registered model; ConfigError (one line naming the model and the
    argument) for an unknown name, an unknown argument or a bad value."""
    cls = _model_class(name)
    allowed = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = [k for k in kwargs if k not in allowed]
    if unknown:
        raise ConfigError(f"model.kwargs: {name}: unknown argument {unknown[0]!r}; allowed: "
                          f"{', '.join(allowed)}")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as err:
        raise _construction_error(name, cls, err) from None


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
