"""Typed, validated scenario configuration.

A :class:`Scenario` is everything needed to reproduce a dataset: grid geometry,
pilot pattern, channel model(s), noise and seed. Every field has a default, so
``Scenario()`` is the embedded default scenario (``configs/default.yaml`` is
its YAML rendering, checked by a test). :func:`load_config` reads YAML with
``yaml.safe_load`` and raises :class:`ConfigError` with a one-line message that
names the offending field.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

__all__ = [
    "ConfigError",
    "GRID_PRESETS",
    "GridConfig",
    "PilotConfig",
    "ChannelModelConfig",
    "ChannelConfig",
    "NoiseConfig",
    "Scenario",
    "load_config",
    "parse_config",
    "format_validation_error",
    "read_yaml_mapping",
]


class ConfigError(ValueError):
    """Invalid user input (config, file or argument); the message is one line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _as_range(value: Any) -> Any:
    """Accept ``x`` or ``[lo, hi]`` and return ``(lo, hi)`` with lo <= hi."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError(f"must be a finite number, got {value!r}")
        return (float(value), float(value))
    if isinstance(value, (list, tuple)) and len(value) == 2:
        lo, hi = value
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            raise ValueError(f"must be a number or [low, high], got {value!r}")
        if not all(math.isfinite(v) for v in value):
            raise ValueError(f"must be finite numbers, got {list(value)!r}")
        if lo > hi:
            raise ValueError(f"low must not exceed high, got [{lo}, {hi}]")
        return (float(lo), float(hi))
    raise ValueError(f"must be a number or [low, high], got {value!r}")


Range = Annotated[tuple[float, float], BeforeValidator(_as_range)]

# ---------------------------------------------------------------------------
# Grid
# ---------------------------------------------------------------------------

GRID_PRESETS: dict[str, dict[str, float]] = {
    "lte-72x14": dict(num_subcarriers=72, num_symbols=14, subcarrier_spacing=15e3,
                      carrier_frequency=2.6e9),
    "nr-612x14": dict(num_subcarriers=612, num_symbols=14, subcarrier_spacing=30e3,
                      carrier_frequency=3.5e9),
    "nr-624x14": dict(num_subcarriers=624, num_symbols=14, subcarrier_spacing=30e3,
                      carrier_frequency=3.5e9),
}

# Cyclic-prefix length as a fraction of the useful symbol (NR: 144/2048, 512/2048).
CP_RATIOS = {"normal": 144 / 2048, "extended": 512 / 2048}


class GridConfig(_Strict):
    """OFDM resource grid. A ``preset`` fills the fields not given explicitly."""

    preset: Literal["lte-72x14", "nr-612x14", "nr-624x14"] | None = "lte-72x14"
    num_subcarriers: int = Field(ge=1, le=8192)
    num_symbols: int = Field(ge=1, le=1024)
    subcarrier_spacing: float = Field(gt=0, le=1.92e6, description="Hz")
    cyclic_prefix: Literal["normal", "extended"] = "normal"
    carrier_frequency: float = Field(gt=0, le=3e11, description="Hz")

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        preset = data.get("preset", "lte-72x14")
        if preset in GRID_PRESETS:
            return {**GRID_PRESETS[preset], **data}
        return data

    @property
    def cp_duration(self) -> float:
        """Cyclic-prefix duration [s]."""
        return CP_RATIOS[self.cyclic_prefix] / self.subcarrier_spacing

    @property
    def symbol_duration(self) -> float:
        """OFDM symbol duration including the cyclic prefix [s]."""
        return (1.0 + CP_RATIOS[self.cyclic_prefix]) / self.subcarrier_spacing


# ---------------------------------------------------------------------------
# Pilots (the masks themselves are built in chanest.grid)
# ---------------------------------------------------------------------------

SymbolList = Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)]


class _PilotBase(_Strict):
    """``values``: pilot symbols, QPSK drawn from ``sequence_seed`` (a property of the
    system, independent of the data seed) or all ones."""

    values: Literal["qpsk", "ones"] = "qpsk"
    sequence_seed: int = Field(default=0, ge=0, lt=2**63)


class ChannelNetPilots(_PilotBase):
    pattern: Literal["channelnet-48", "channelnet-36", "channelnet-24",
                     "channelnet-16", "channelnet-8"] = "channelnet-48"


class BlockPilots(_PilotBase):
    pattern: Literal["block"]
    symbols: SymbolList = [2, 11]


class CombPilots(_PilotBase):
    pattern: Literal["comb"]
    spacing: int = Field(default=4, ge=1)
    offset: int = Field(default=0, ge=0)


class LatticePilots(_PilotBase):
    pattern: Literal["lattice"]
    symbols: SymbolList = [0, 4, 7, 11]
    spacing: int = Field(default=6, ge=1)
    offsets: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)] = [0, 3]


class DiamondPilots(_PilotBase):
    pattern: Literal["diamond"]
    symbols: SymbolList = [2, 6, 9, 13]
    spacing: int = Field(default=6, ge=2)
    offset: int = Field(default=0, ge=0)


class KroneckerPilots(_PilotBase):
    pattern: Literal["kronecker"]
    symbols: SymbolList = [2, 11]
    spacing: int = Field(default=4, ge=1)
    offset: int = Field(default=0, ge=0)


class DmrsPilots(_PilotBase):
    pattern: Literal["dmrs"]
    config_type: Literal[1, 2] = 1
    additional_position: Literal[0, 1, 2, 3] = 1
    length: Literal[1, 2] = 1
    type_a_position: Literal[2, 3] = 2


class FilePilots(_PilotBase):
    pattern: Literal["file"]
    path: str = Field(min_length=1)


PilotConfig = Annotated[
    Union[ChannelNetPilots, BlockPilots, CombPilots, LatticePilots, DiamondPilots,
          KroneckerPilots, DmrsPilots, FilePilots],
    Field(discriminator="pattern"),
]

# ---------------------------------------------------------------------------
# Channel
# ---------------------------------------------------------------------------


class _ModelBase(_Strict):
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


ChannelModelConfig = Annotated[
    Union[TDLModel, CDLModel, PDPModel, RayleighModel], Field(discriminator="model")
]


def _default_models() -> list:
    return [PDPModel(model="pdp", profile="VehA", speed_mps=(0.0, 30.0))]


class ChannelConfig(_Strict):
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


class NoiseConfig(_Strict):
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


class Scenario(_Strict):
    """A complete, reproducible simulation scenario."""

    seed: int = Field(default=0, ge=0, lt=2**63)
    chunk_size: int = Field(default=256, ge=1, le=65536,
                            description="grids per seed chunk (fixed per dataset)")
    grid: GridConfig = Field(default_factory=GridConfig)
    pilots: PilotConfig = Field(default_factory=ChannelNetPilots)
    channel: ChannelConfig = Field(default_factory=ChannelConfig)
    noise: NoiseConfig = Field(default_factory=NoiseConfig)

    @model_validator(mode="after")
    def _pilots_fit_grid(self) -> "Scenario":
        from chanest.grid import pilot_mask  # geometry lives in grid.py

        try:
            pilot_mask(self.pilots, self.grid)
        except ConfigError as err:
            raise ValueError(str(err)) from None
        return self

    def to_dict(self) -> dict:
        """Resolved config as plain JSON-able data (presets expanded)."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def fingerprint(self) -> str:
        """sha256 of the canonical resolved config."""
        blob = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()


def _union_tags() -> set[str]:
    """Discriminator values that pydantic inserts into error locations."""
    tags: set[str] = set()
    for union in (PilotConfig, ChannelModelConfig):
        for member in union.__origin__.__args__:
            key = "pattern" if "pattern" in member.model_fields else "model"
            tags |= set(member.model_fields[key].annotation.__args__)
    return tags


def _loc_to_str(loc: tuple) -> str:
    tags, out = _union_tags(), ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in tags and i > 0 and (isinstance(loc[i - 1], int) or loc[i - 1] == "pilots"):
            continue  # the union member, not a field
        else:
            out += ("." if out else "") + str(part)
    return out


def format_validation_error(err: ValidationError, prefix: str = "") -> str:
    """One line: ``field.path: what is allowed (got value)``."""
    first = err.errors()[0]
    loc = ".".join(p for p in [prefix, _loc_to_str(tuple(first["loc"]))] if p) or "config"
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = "unknown field"
    elif first["type"] == "missing":
        msg = "required field is missing"
    inp = first.get("input")
    if first["type"] not in ("missing", "extra_forbidden", "value_error") and \
            not isinstance(inp, (dict, list)):
        msg += f" (got {inp!r})"
    extra = f" ({len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    return f"{loc}: {msg}{extra}".replace("\n", " ")


def parse_config(data: Any, source: str = "config") -> Scenario:
    """Validate a mapping into a :class:`Scenario` (ConfigError on failure)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: top level must be a mapping of fields, got "
                          f"{type(data).__name__}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ConfigError(f"{source}: {format_validation_error(err)}") from None


def read_yaml_mapping(path: str | Path, what: str = "--config"):
    """Parse a YAML file with ``yaml.safe_load`` (ConfigError on a missing or invalid file)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{what}: file not found: {path}")
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: invalid YAML{where}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None


def load_config(path: str | Path | None) -> Scenario:
    """Load and validate a YAML scenario; ``None`` gives the embedded default."""
    if path is None:
        return Scenario()
    return parse_config(read_yaml_mapping(path), source=Path(path).name)
