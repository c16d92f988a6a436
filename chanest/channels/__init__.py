"""Channel models: one file per family, each a config class that builds its own sampler.

* :mod:`.base`: :class:`ModelBase` (weight, mobility) and :class:`ChannelSampler`
  (a Sionna model's taps → ``h [n, L, S, F]``);
* :mod:`.tdl`, :mod:`.cdl`, :mod:`.pdp`, :mod:`.rayleigh`, :mod:`.system` (UMi/UMa/RMa),
  :mod:`.site` (ray-traced sites, Sionna RT): the families;
* :mod:`.arrays`: the receiver's antenna array (``channel.array``);
* :mod:`.paths`: each grid's propagation paths, for per-grid references;
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

from chanest.channels.arrays import ArrayConfig, ula
from chanest.channels.base import SPEED_OF_LIGHT, ChannelSampler, Draw, ModelBase
from chanest.channels.cdl import CDLModel
from chanest.channels.paths import Paths
from chanest.channels.pdp import PDPModel
from chanest.channels.rayleigh import RayleighModel
from chanest.channels.site import SiteModel
from chanest.channels.system import SystemModel
from chanest.channels.tdl import TDLModel
from chanest.schema import Strict, tagged_union, tags_of

__all__ = ["MODELS", "ChannelModelConfig", "ChannelConfig", "ModelBase", "ChannelSampler",
           "Draw", "Paths", "ArrayConfig", "TDLModel", "CDLModel", "PDPModel", "RayleighModel",
           "SystemModel", "SiteModel", "SPEED_OF_LIGHT"]

#: the channel-model families, by their ``model`` tag
MODELS: tuple[type[ModelBase], ...] = (TDLModel, CDLModel, PDPModel, RayleighModel,
                                       SystemModel, SiteModel)

#: one entry of ``channel.models``: the family of :data:`MODELS` named by its ``model`` tag
ChannelModelConfig = tagged_union(lambda: MODELS, "model")


def geometric_tags() -> list[str]:
    """The ``model`` tags of the families that use the array's geometry."""
    return [tag for m in MODELS if m.geometric for tag in tags_of(m, "model")]


def _default_models() -> list:
    return [PDPModel(model="pdp", profile="VehA", speed_mps=(0.0, 30.0))]


class ChannelConfig(Strict):
    """One channel model or a weighted mixture (``models``) seen by the receiver's array.

    ``array`` (:class:`ArrayConfig`) describes the receiver; ``num_rx_antennas: L`` without
    it is a half-wavelength omni ULA of L elements (set from the array when it is given).
    Models without a geometry (TDL, PDP, Rayleigh) draw independent antennas and refuse an
    explicit array.
    """

    models: Annotated[list[ChannelModelConfig], Field(min_length=1, max_length=64)] = Field(
        default_factory=_default_models)
    num_rx_antennas: int = Field(default=1, ge=1, le=256)
    array: ArrayConfig | None = None
    paths: bool = Field(default=False, description="store each grid's propagation paths "
                        "(geometric models) for the genie-paths reference")

    @model_validator(mode="before")
    @classmethod
    def _single_model_shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and "model" in data:
            own = ("num_rx_antennas", "array", "paths")
            out = {"models": [{k: v for k, v in data.items() if k not in own}]}
            out.update({k: data[k] for k in own if k in data})
            return out
        return data

    @model_validator(mode="before")
    @classmethod
    def _antennas_from_array(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("array") is None:
            return data
        try:
            array = ArrayConfig.model_validate(data["array"])
        except ValueError:
            return data  # reported with its location by the field's own validation
        given = data.get("num_rx_antennas")
        if given is not None and given != array.num_elements:
            raise ValueError(f"num_rx_antennas ({given}) differs from the array's "
                             f"{array.num_elements} elements; give one of them")
        return {**data, "num_rx_antennas": array.num_elements}

    @model_validator(mode="after")
    def _geometry_fits_models(self) -> ChannelConfig:
        flat = [m.model for m in self.models if not m.geometric]
        if flat and (self.array is not None or self.paths):
            what = "an array geometry" if self.array is not None else "propagation paths"
            raise ValueError(f"the {flat[0]} model has no {what} (it draws independent "
                             f"taps): use a model with one ({', '.join(geometric_tags())})"
                             + (", or num_rx_antennas for independent antennas"
                                if self.array is not None else ""))
        return self

    @property
    def receiver(self) -> ArrayConfig:
        """The receiver's array (the ULA shorthand resolved)."""
        return self.array if self.array is not None else ula(self.num_rx_antennas)
