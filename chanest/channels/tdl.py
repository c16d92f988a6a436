"""3GPP TR 38.901 TDL models (Sionna's ``TDL``), per-sample delay spread and Doppler.

Sionna's ``TDL`` draws one Doppler per sample uniformly in [min, max]; the sampler sets
both bounds to the per-sample value (shape [n, 1, ..., 1]), so the draw returns exactly
the recorded Doppler. Tap delays are generated for unit delay spread and scaled per
sample, since Sionna applies one delay spread per object. Tests check this against
closed-form correlations, so a change in Sionna's internals fails loudly.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

import torch
from pydantic import model_validator

from chanest.channels.base import ChannelSampler, ModelBase
from chanest.channels.profiles import TapProfile
from chanest.schema import Range

__all__ = ["TDLModel", "TDLSampler"]

_TDL_PROFILES = Literal["A", "B", "C", "D", "E", "A10", "A30", "B100", "C60", "C300",
                        "D10", "D30"]
_TDL_FIXED = {"A10", "A30", "B100", "C60", "C300", "D10", "D30"}


def _scalable(profile: str) -> bool:
    return profile in ("A", "B", "C", "D", "E")


class TDLModel(ModelBase):
    """3GPP TR 38.901 TDL (sum-of-sinusoids Jakes Doppler). ``delay_spread_ns``
    is drawn uniformly per sample; it is ignored for the fixed TS 38.101-4 profiles."""

    description: ClassVar[str] = (
        "3GPP TR 38.901 TDL-A…E (scalable, delay_spread_ns range drawn per sample) and "
        "TS 38.101-4 A10/A30/B100/C60/C300/D10/D30 (fixed delays)")
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
    def _check_ds(self) -> TDLModel:
        if self.profile in _TDL_FIXED:
            if self.delay_spread_ns is not None:
                raise ValueError(f"delay_spread_ns is fixed by profile {self.profile}; remove it")
        elif self.delay_spread_ns[0] <= 0:
            raise ValueError("delay_spread_ns must be > 0")
        return self

    def sampler(self, grid, array, device: str) -> TDLSampler:
        return TDLSampler(self, grid, array, device)


class TDLSampler(ChannelSampler):
    """Sionna's TDL with the per-sample Doppler and delay spread of chanest's draws."""

    def _build(self):
        from sionna.phy.channel.tr38901 import TDL

        fixed = not _scalable(self.cfg.profile)
        return TDL(self.cfg.profile, delay_spread=None if fixed else 1.0,
                   carrier_frequency=self.grid.carrier_frequency, min_speed=0.0,
                   max_speed=0.0, num_rx_ant=self.num_rx_antennas, **self._common)

    def _profile(self) -> TapProfile:
        m = self._model
        los = float(m.mean_power_los) if m.los else 0.0
        return TapProfile(self.label, m.delays.cpu().double().numpy(),
                          m.mean_powers.cpu().double().numpy(),
                          scale_delays=_scalable(self.cfg.profile), los_power=los)

    def _draw(self, n: int, doppler: torch.Tensor, gen: torch.Generator, paths: bool):
        tdl = self._model
        omega = (2.0 * math.pi * doppler.to(torch.float32)).view(n, 1, 1, 1, 1, 1, 1, 1)
        saved = tdl._min_doppler, tdl._max_doppler
        tdl._min_doppler, tdl._max_doppler = omega, omega
        try:
            return tdl(n, self.grid.num_symbols, self._fs)
        finally:
            tdl._min_doppler, tdl._max_doppler = saved
