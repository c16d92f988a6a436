"""3GPP TR 38.901 CDL models (Sionna's ``CDL``), uplink, with a per-sample speed.

The direction of travel is drawn uniformly on the sphere from chanest's generator (as
Sionna's own draw), so it is reproducible from the chunk seed.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import torch
from pydantic import model_validator

from chanest.channels.base import SPEED_OF_LIGHT, ChannelSampler, ModelBase
from chanest.channels.paths import PathRecorder, Paths
from chanest.channels.profiles import TapProfile
from chanest.schema import Range

__all__ = ["CDLModel", "CDLSampler"]


class CDLModel(ModelBase):
    """3GPP TR 38.901 CDL, uplink from one vertically polarised omni element to the
    receiver's array (``channel.array``; default a half-wavelength omni ULA)."""

    geometric = True
    description: ClassVar[str] = ("3GPP TR 38.901 CDL-A…E, uplink to the receiver's array "
                                  "(channel.array; default an omni half-wavelength ULA)")
    model: Literal["cdl"]
    profile: Literal["A", "B", "C", "D", "E"] = "A"
    delay_spread_ns: Range = (100.0, 100.0)

    @model_validator(mode="after")
    def _check_ds(self) -> CDLModel:
        if self.delay_spread_ns[0] <= 0:
            raise ValueError("delay_spread_ns must be > 0")
        return self

    def sampler(self, grid, array, device: str) -> CDLSampler:
        return CDLSampler(self, grid, array, device)


class CDLSampler(ChannelSampler):
    """Sionna's CDL (unit delay spread, scaled per sample) with a drawn velocity."""

    def _build(self):
        from sionna.phy.channel.tr38901 import CDL

        cdl = CDL(self.cfg.profile, delay_spread=1.0, carrier_frequency=self.grid.carrier_frequency,
                  ut_array=self.ut_array(), bs_array=self.bs_array(), direction="uplink",
                  **self._common)
        self._recorder = PathRecorder.install(cdl, "_cir_gen")
        return cdl

    def _profile(self) -> TapProfile:
        m = self._model
        k = float(m._k_factor)
        powers = m._powers.cpu().double().numpy() / (1.0 + k)
        delays = m._delays.cpu().double().numpy()
        if k > 0:  # the specular ray arrives with the first cluster
            powers[0] += k / (1.0 + k)
        return TapProfile(self.label, delays, powers, scale_delays=True,
                          los_power=k / (1.0 + k))

    def _draw(self, n: int, doppler: torch.Tensor, gen: torch.Generator, paths: bool):
        cdl = self._model
        speed = doppler.to(torch.float32) * SPEED_OF_LIGHT / self.grid.carrier_frequency  # [n]
        # Direction of travel uniform on the sphere (as Sionna's own draw)
        u = torch.rand(n, 2, generator=gen, device=self.device)
        phi = 2 * math.pi * u[:, 0]
        cos_t = 1 - 2 * u[:, 1]
        sin_t = torch.sqrt(torch.clamp(1 - cos_t**2, min=0.0))
        velocity = speed[:, None] * torch.stack(
            [torch.cos(phi) * sin_t, torch.sin(phi) * sin_t, cos_t], dim=-1)  # [n, 3]
        cdl._ut_velocity = velocity
        self._recorder.record = paths
        try:
            return cdl(n, self.grid.num_symbols, self._fs)
        finally:
            cdl._ut_velocity = None
            self._recorder.record = False

    def _paths(self, delay_spread: torch.Tensor) -> Paths:
        found = self._recorder.paths  # delays for unit delay spread
        return Paths(found.gain, found.doppler,
                     found.delay * delay_spread.to(found.delay.dtype)[:, None])

    def draw(self, delay_spread, doppler, gen, paths: bool = False):
        """As :meth:`ChannelSampler.draw`; unless every element is vertically polarised and
        omni (whose grids have unit power as drawn), each grid is scaled to unit expected
        power given its rays (element patterns and polarisation change the power)."""
        if not self.array.unit_gain:
            out = super().draw(delay_spread, doppler, gen, paths=True)
            scale = out.paths.power().clamp_min(1e-30).rsqrt()  # [n]
            out.h = out.h * scale.to(out.h.dtype)[:, None, None, None]
            out.paths.gain = out.paths.gain * scale.to(out.paths.gain.dtype)[:, None, None]
            out.paths = out.paths if paths else None
            return out
        return super().draw(delay_spread, doppler, gen, paths)
