"""Typed, validated scenario configuration.

A :class:`Scenario` is everything needed to reproduce a dataset: grid geometry
(:mod:`chanest.grid`), pilot pattern (:mod:`chanest.pilots`), channel model(s),
noise and seed. Every field has a default, so ``Scenario()`` is the embedded
default scenario (``configs/default.yaml`` is its YAML rendering, checked by a
test). :func:`load_config` reads YAML through :mod:`chanest.schema` and raises
:class:`ConfigError` with a one-line message that names the offending field.

The schema base, grid and pilot names are re-exported here, so
``from chanest.config import ConfigError, GridConfig, PilotConfig`` keeps working.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import Field, model_validator

from chanest.grid import CP_RATIOS, GRID_PRESETS, GridConfig
from chanest.pilots import (
    BlockPilots,
    ChannelNetPilots,
    CombPilots,
    DiamondPilots,
    DmrsPilots,
    FilePilots,
    KroneckerPilots,
    LatticePilots,
    PilotConfig,
    pilot_mask,
)
from chanest.users import UsersConfig, user_layout
from chanest.schema import (
    ConfigError,
    Range,
    Strict,
    format_validation_error,
    read_yaml_mapping,
    tagged_union,
    validate,
)

_Strict = Strict  # the name other config modules used before chanest.schema

__all__ = [
    "ConfigError",
    "GRID_PRESETS",
    "CP_RATIOS",
    "GridConfig",
    "PilotConfig",
    "ChannelNetPilots",
    "BlockPilots",
    "CombPilots",
    "LatticePilots",
    "DiamondPilots",
    "KroneckerPilots",
    "DmrsPilots",
    "FilePilots",
    "TDLModel",
    "CDLModel",
    "PDPModel",
    "RayleighModel",
    "ChannelModelConfig",
    "ChannelConfig",
    "NoiseConfig",
    "UsersConfig",
    "Scenario",
    "load_config",
    "parse_config",
    "format_validation_error",
    "read_yaml_mapping",
]


class _ModelBase(Strict):
    """Mobility: ``speed_mps`` or ``doppler_hz`` (maximum Doppler), drawn uniformly per
    sample; static (speed 0) if neither is given."""

    weight: float = Field(default=1.0, gt=0)
    speed_mps: Range | None = None
    doppler_hz: Range | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_mobility(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("speed_mps") is None \
                and data.get("doppler_hz") is None:
            return {**data, "speed_mps": (0.0, 0.0)}
        return data

    @model_validator(mode="after")
    def _check_mobility(self) -> "_ModelBase":
        if self.doppler_hz is not None and self.speed_mps is not None:
            raise ValueError("give either speed_mps or doppler_hz, not both")
        for name in ("speed_mps", "doppler_hz"):
            rng = getattr(self, name)
            if rng is not None and rng[0] < 0:
                raise ValueError(f"{name} must be >= 0, got {list(rng)}")
        return self


_TDL_PROFILES = Literal["A", "B", "C", "D", "E", "A10", "A30", "B100", "C60", "C300",
                        "D10", "D30"]
_TDL_FIXED = {"A10", "A30", "B100", "C60", "C300", "D10", "D30"}


class TDLModel(_ModelBase):
    """3GPP TR 38.901 TDL (sum-of-sinusoids Jakes Doppler). ``delay_spread_ns``
    is drawn uniformly per sample; it is ignored for the fixed TS 38.101-4 profiles."""

    model: Literal["tdl"]
    profile: _TDL_PROFILES = "A"
    delay_spread_ns: Range | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_ds(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("profile", "A") not in _TDL_FIXED \
                and data.get("delay_spread_ns") is None:
            return {**data, "delay_spread_ns": (100.0, 100.0)}
        return data

    @model_validator(mode="after")
    def _check_ds(self) -> "TDLModel":
        if self.profile in _TDL_FIXED:
            if self.delay_spread_ns is not None:
                raise ValueError(f"delay_spread_ns is fixed by profile {self.profile}; remove it")
        elif self.delay_spread_ns[0] <= 0:
            raise ValueError("delay_spread_ns must be > 0")
        return self


class CDLModel(_ModelBase):
    """3GPP TR 38.901 CDL, uplink SISO/SIMO with isotropic antennas (half-wavelength ULA)."""

    model: Literal["cdl"]
    profile: Literal["A", "B", "C", "D", "E"] = "A"
    delay_spread_ns: Range = (100.0, 100.0)

    @model_validator(mode="after")
    def _check_ds(self) -> "CDLModel":
        if self.delay_spread_ns[0] <= 0:
            raise ValueError("delay_spread_ns must be > 0")
        return self


class PDPModel(_ModelBase):
    """Tabulated PDP (EPA/EVA/ETU, ITU VehA/PedA/PedB) with Jakes Doppler."""

    model: Literal["pdp"]
    profile: Literal["EPA", "EVA", "ETU", "VehA", "PedA", "PedB"] = "VehA"


class RayleighModel(_ModelBase):
    """Rayleigh block fading: one flat tap, constant over the grid (speed ignored)."""

    model: Literal["rayleigh"]


ChannelModelConfig = tagged_union([TDLModel, CDLModel, PDPModel, RayleighModel], "model")


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


# ---------------------------------------------------------------------------
# Noise and scenario
# ---------------------------------------------------------------------------


DEFAULT_SNR_DB = [0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0]


class NoiseConfig(Strict):
    """SNR per sample: cycled through ``snr_db`` (balanced) or uniform in ``snr_db_range``.

    SNR = 1/no for unit-power channels and unit-modulus pilots.
    """

    snr_db: Annotated[list[Annotated[float, Field(ge=-50, le=100)]],
                      Field(min_length=1)] | None = None
    snr_db_range: Range | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_snrs(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("snr_db") is None \
                and data.get("snr_db_range") is None:
            return {**data, "snr_db": DEFAULT_SNR_DB}
        return data

    @model_validator(mode="after")
    def _one_mode(self) -> "NoiseConfig":
        if self.snr_db_range is not None:
            if self.snr_db is not None:
                raise ValueError("give either snr_db (a list) or snr_db_range, not both")
            lo, hi = self.snr_db_range
            if lo < -50 or hi > 100:
                raise ValueError(f"snr_db_range must lie in [-50, 100] dB, got [{lo}, {hi}]")
        return self


class Scenario(Strict):
    """A complete, reproducible simulation scenario."""

    seed: int = Field(default=0, ge=0, lt=2**63)
    chunk_size: int = Field(default=256, ge=1, le=65536,
                            description="grids per seed chunk (fixed per dataset)")
    grid: GridConfig = Field(default_factory=GridConfig)
    pilots: PilotConfig = Field(default_factory=ChannelNetPilots)
    channel: ChannelConfig = Field(default_factory=ChannelConfig)
    noise: NoiseConfig = Field(default_factory=NoiseConfig)
    users: UsersConfig | None = Field(default=None, description="several uplink users "
                                      "(chanest.users); absent: one transmitter")

    @model_validator(mode="after")
    def _pilots_fit_grid(self) -> "Scenario":
        try:
            mask = pilot_mask(self.pilots, self.grid)
            if self.users is not None:
                user_layout(self.users, mask, np.ones(int(mask.sum()), dtype=np.complex64))
        except ConfigError as err:
            raise ValueError(str(err)) from None
        return self

    @property
    def num_users(self) -> int:
        """U: transmitters whose channels a grid holds (1 without ``users:``)."""
        return 1 if self.users is None else self.users.count

    def to_dict(self) -> dict:
        """Resolved config as plain JSON-able data (presets expanded; ``users`` only when
        set, so single-user configs keep their fingerprints)."""
        out = self.model_dump(mode="json")
        if out.get("users") is None:
            out.pop("users", None)
        return out

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def fingerprint(self) -> str:
        """sha256 of the canonical resolved config."""
        blob = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()


def parse_config(data: Any, source: str = "config") -> Scenario:
    """Validate a mapping into a :class:`Scenario` (ConfigError on failure)."""
    return validate(Scenario, data, source, empty_ok=True)


def load_config(path: str | Path | None) -> Scenario:
    """Load and validate a YAML scenario; ``None`` gives the embedded default."""
    if path is None:
        return Scenario()
    return parse_config(read_yaml_mapping(path), source=Path(path).name)
