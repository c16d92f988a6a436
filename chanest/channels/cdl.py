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
from chanest.channels.profiles import TapProfile
from chanest.schema import Range

__all__ = ["CDLModel", "CDLSampler"]


class CDLModel(ModelBase):
    """3GPP TR 38.901 CDL, uplink SISO/SIMO with isotropic antennas (half-wavelength ULA)."""

    description: ClassVar[str] = ("3GPP TR 38.901 CDL-A…E, uplink SISO/SIMO, isotropic "
                                  "antennas, half-wavelength ULA at the receiver")
    model: Literal["cdl"]
    profile: Literal["A", "B", "C", "D", "E"] = "A"
    delay_spread_ns: Range = (100.0, 100.0)

    @model_validator(mode="after")
    def _check_ds(self) -> CDLModel:
        if self.delay_spread_ns[0] <= 0:
            raise ValueError("delay_spread_ns must be > 0")
        return self

    def sampler(self, grid, num_rx_antennas: int, device: str) -> CDLSampler:
        return CDLSampler(self, grid, num_rx_antennas, device)


class CDLSampler(ChannelSampler):
    """Sionna's CDL (unit delay spread, scaled per sample) with a drawn velocity."""

    def _build(self):
        from sionna.phy.channel.tr38901 import CDL, AntennaArray

        fc = self.grid.carrier_frequency
        arr = dict(polarization="single", polarization_type="V", antenna_pattern="omni",
                   carrier_frequency=fc, **self._common)
        ut = AntennaArray(num_rows=1, num_cols=1, **arr)
        bs = AntennaArray(num_rows=1, num_cols=self.num_rx_antennas, horizontal_spacing=0.5,
                          **arr)
        return CDL(self.cfg.profile, delay_spread=1.0, carrier_frequency=fc, ut_array=ut,
                   bs_array=bs, direction="uplink", **self._common)

    def _profile(self) -> TapProfile:
        m = self._model
        k = float(m._k_factor)
        powers = m._powers.cpu().double().numpy() / (1.0 + k)
        delays = m._delays.cpu().double().numpy()
        if k > 0:  # the specular ray arrives with the first cluster
            powers[0] += k / (1.0 + k)
        return TapProfile(self.label, delays, powers, scale_delays=True,
                          los_power=k / (1.0 + k))

    def _draw(self, n: int, doppler: torch.Tensor, gen: torch.Generator):
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
        try:
            return cdl(n, self.grid.num_symbols, self._fs)
        finally:
            cdl._ut_velocity = None
