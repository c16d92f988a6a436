"""Channel models: one file per family, each a config class that builds its own sampler.

* :mod:`.base`: :class:`ModelBase` (weight, mobility) and :class:`ChannelSampler`
  (a Sionna model's taps → ``h [n, L, S, F]``);
* :mod:`.tdl`, :mod:`.cdl`, :mod:`.pdp`, :mod:`.rayleigh`: the families;
* :mod:`.profiles`: tap delays and powers as data (what statistics need).

:data:`MODELS` is the table of families; ``channel.models`` entries are parsed by their
``model`` tag into one of them (the table is read when a config is parsed). To add a
family, write a file with a config class (a :class:`ModelBase` with a
``model: Literal["name"]`` tag, a ``description``, a ``label`` and a ``sampler`` method)
and add the class to :data:`MODELS`; ``info`` lists it from there.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from chanest.channels.base import SPEED_OF_LIGHT, ChannelSampler, ModelBase
from chanest.channels.cdl import CDLModel
from chanest.channels.pdp import PDPModel
from chanest.channels.rayleigh import RayleighModel
from chanest.channels.tdl import TDLModel
from chanest.schema import Strict, tagged_union

__all__ = ["MODELS", "ChannelModelConfig", "ChannelConfig", "ModelBase", "ChannelSampler",
           "TDLModel", "CDLModel", "PDPModel", "RayleighModel", "SPEED_OF_LIGHT"]

#: the channel-model families, by their ``model`` tag
MODELS: tuple[type[ModelBase], ...] = (TDLModel, CDLModel, PDPModel, RayleighModel)

#: one entry of ``channel.models``: the family of :data:`MODELS` named by its ``model`` tag
ChannelModelConfig = tagged_union(lambda: MODELS, "model")


def _default_models() -> list:
    return [PDPModel(model="pdp", profile="VehA", speed_mps=(0.0, 30.0))]


class ChannelConfig(Strict):
    """One channel model or a weighted mixture (``models``); ``num_rx_antennas`` is L."""

    models: Annotated[list[ChannelModelConfig], Field(min_length=1, max_length=64)] = Field(
        default_factory=_default_models)
    num_rx_antennas: int = Field(default=1, ge=1, le=64)

    @model_validator(mode="before")
    @classmethod
    def _single_model_shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and "model" in data:
            model_keys = {k: v for k, v in data.items() if k != "num_rx_antennas"}
            out = {"models": [model_keys]}
            if "num_rx_antennas" in data:
                out["num_rx_antennas"] = data["num_rx_antennas"]
            return out
        return data
