"""Rayleigh block fading: one flat tap per antenna, constant over the grid."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import torch

from chanest.channels.base import ChannelSampler, ModelBase
from chanest.channels.profiles import TapProfile

__all__ = ["RayleighModel", "RayleighSampler"]


class RayleighModel(ModelBase):
    """Rayleigh block fading: one flat tap, constant over the grid (speed ignored)."""

    description: ClassVar[str] = "Rayleigh block fading (one flat tap, constant over the grid)"
    model: Literal["rayleigh"]

    @property
    def label(self) -> str:
        return "rayleigh"

    def sampler(self, grid, array, device: str) -> RayleighSampler:
        return RayleighSampler(self, grid, array, device)


class RayleighSampler(ChannelSampler):
    """Sionna's ``RayleighBlockFading``; block fading has no Doppler."""

    def _build(self):
        from sionna.phy.channel import RayleighBlockFading

        return RayleighBlockFading(num_rx=1, num_rx_ant=self.num_rx_antennas, num_tx=1,
                                   num_tx_ant=1, **self._common)

    def _profile(self) -> TapProfile:
        return TapProfile(self.label, np.zeros(1), np.ones(1), scale_delays=False)

    def _doppler_range(self) -> tuple[float, float]:
        return 0.0, 0.0

    def _draw(self, n: int, doppler: torch.Tensor, gen: torch.Generator, paths: bool):
        return self._model(n, self.grid.num_symbols, self._fs)
