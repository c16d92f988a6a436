"""Typed, validated scenario configuration.

A :class:`Scenario` is everything needed to reproduce a dataset: grid geometry
(:mod:`chanest.grid.ofdm`), pilot pattern (:mod:`chanest.grid.pilots`), channel model(s),
noise and seed. Every field has a default, so ``Scenario()`` is the embedded
default scenario (``configs/default.yaml`` is its YAML rendering, checked by a
test). :func:`load_config` reads YAML through :mod:`chanest.schema` and raises
:class:`ConfigError` with a one-line message that names the offending field.

Its parts live where they are used: the grid and pilots in :mod:`chanest.grid`, the
channel models in :mod:`chanest.channels`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import yaml
from pydantic import Field, model_validator

from chanest.channels import ChannelConfig
from chanest.grid.ofdm import GridConfig
from chanest.grid.pilots import ChannelNetPilots, PilotConfig, pilot_mask
from chanest.grid.users import UsersConfig, user_layout
from chanest.schema import ConfigError, Range, Strict, read_yaml_mapping, validate

__all__ = ["NoiseConfig", "Scenario", "load_config", "parse_config", "DEFAULT_SNR_DB"]



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
    def _one_mode(self) -> NoiseConfig:
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
                                      "(chanest.grid.users); absent: one transmitter")

    @model_validator(mode="after")
    def _pilots_fit_grid(self) -> Scenario:
        try:
            mask = pilot_mask(self.pilots, self.grid)
            if self.users is not None:
                user_layout(self.users, mask, np.ones(int(mask.sum()), dtype=np.complex64))
        except ConfigError as err:
            raise ValueError(str(err)) from None
        return self

    @model_validator(mode="after")
    def _paths_of_one_transmitter(self) -> Scenario:
        if self.users is not None and self.channel.paths:
            raise ValueError("channel.paths: paths are stored for a single transmitter; "
                             "remove users: or channel.paths")
        return self

    @property
    def num_users(self) -> int:
        """U: transmitters whose channels a grid holds (1 without ``users:``)."""
        return 1 if self.users is None else self.users.count

    def to_dict(self) -> dict:
        """Resolved config as plain JSON-able data (presets expanded; ``users``,
        ``channel.array`` and ``channel.paths`` only when set, so configs without them keep
        their fingerprints)."""
        out = self.model_dump(mode="json")
        if out.get("users") is None:
            out.pop("users", None)
        if out["channel"].get("array") is None:  # the same for channel.array and .paths
            out["channel"].pop("array", None)
        if not out["channel"].get("paths"):
            out["channel"].pop("paths", None)
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
