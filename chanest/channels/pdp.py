"""Tabulated power-delay profiles (EPA/EVA/ETU, ITU VehA/PedA/PedB) with Jakes Doppler.

They reuse Sionna's TDL sum-of-sinusoids generator with the tap table replaced.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch

from chanest.channels.base import ModelBase
from chanest.channels.profiles import PDP_TABLES, TapProfile, pdp_table_profile
from chanest.channels.tdl import TDLSampler

__all__ = ["PDPModel", "PDPSampler"]


class PDPModel(ModelBase):
    """Tabulated PDP (EPA/EVA/ETU, ITU VehA/PedA/PedB) with Jakes Doppler."""

    description: ClassVar[str] = "tabulated PDP with Jakes Doppler: " + ", ".join(PDP_TABLES)
    model: Literal["pdp"]
    profile: Literal["EPA", "EVA", "ETU", "VehA", "PedA", "PedB"] = "VehA"

    def sampler(self, grid, array, device: str) -> PDPSampler:
        return PDPSampler(self, grid, array, device)


class PDPSampler(TDLSampler):
    """Sionna's TDL generator on a tabulated profile (delays in seconds)."""

    def _build(self):
        from sionna.phy.channel.tr38901 import TDL

        tdl = TDL("A", delay_spread=1.0, carrier_frequency=self.grid.carrier_frequency,
                  min_speed=0.0, max_speed=0.0, num_rx_ant=self.num_rx_antennas,
                  **self._common)
        table = pdp_table_profile(self.cfg.profile)
        tdl._los = False
        tdl._scale_delays = True  # delays [s] × _delay_spread (= 1)
        tdl._num_clusters = len(table.delays)
        tdl._delays = torch.as_tensor(table.delays, dtype=torch.float32, device=self.device)
        tdl._mean_powers = torch.as_tensor(table.powers, dtype=torch.complex64,
                                           device=self.device)
        return tdl

    def _profile(self) -> TapProfile:
        return pdp_table_profile(self.cfg.profile)
