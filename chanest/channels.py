"""Channel-model factory on top of ``sionna.phy.channel``.

Each model entry of a scenario becomes a :class:`ChannelSampler` that turns
per-sample parameters (delay spread, maximum Doppler) into channel grids::

    sampler(delay_spread [n], doppler [n], gen) -> h [n, L, S, F] complex64

Sionna draws the fading processes (sum-of-sinusoids phases, CDL ray phases,
Rayleigh taps) from ``sionna.phy.config.torch_rng(device)``; the caller seeds
that generator per chunk (see :mod:`chanest.simulate`). The per-sample
parameters are drawn by the caller so that they can be recorded for a genie
estimator. Two Sionna models are steered beyond their constructor:

* ``TDL`` draws one Doppler per sample uniformly in [min, max]; we set both
  bounds to the per-sample value (shape [n, 1, ..., 1]), so the draw returns
  exactly the recorded Doppler. Tap delays are generated for unit delay
  spread and scaled per sample, since Sionna applies one delay spread per
  object.
* Tabulated PDPs (EPA … PedB) reuse Sionna's TDL sum-of-sinusoids generator
  (Jakes Doppler) with the tap table replaced.

Tests check both against closed-form correlations, so a change in Sionna's
internals fails loudly.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from sionna.phy.channel import RayleighBlockFading, cir_to_ofdm_channel
from sionna.phy.channel.tr38901 import CDL, TDL, AntennaArray

from chanest.config import CDLModel, GridConfig, PDPModel, RayleighModel, TDLModel
from chanest.grid import subcarrier_frequencies
from chanest.profiles import TapProfile, pdp_table_profile, rms_delay_spread

__all__ = ["ChannelSampler", "make_sampler", "model_label", "SPEED_OF_LIGHT"]

SPEED_OF_LIGHT = 299_792_458.0


def model_label(cfg) -> str:
    """Short label of a model entry, e.g. ``tdl-A``, ``pdp-VehA``, ``rayleigh``."""
    if isinstance(cfg, RayleighModel):
        return "rayleigh"
    return f"{cfg.model}-{cfg.profile}"


class ChannelSampler:
    """Channel grids for one model entry on one grid and device.

    Attributes:
        label: model label.
        profile: its :class:`TapProfile` (recorded in datasets).
        scales_delay_spread: whether the per-sample delay spread changes the taps.
    """

    def __init__(self, cfg, grid: GridConfig, num_rx_antennas: int, device: str):
        self.cfg = cfg
        self.label = model_label(cfg)
        self.grid = grid
        self.num_rx_antennas = num_rx_antennas
        self.device = device
        self._freqs = torch.as_tensor(subcarrier_frequencies(grid), dtype=torch.float32,
                                      device=device)  # [F]
        self._fs = 1.0 / grid.symbol_duration
        self._model = self._build()
        self.profile = self._profile()
        self.scales_delay_spread = self.profile.scale_delays
        self.delay_spread_range = self._delay_spread_range()
        self.doppler_range = self._doppler_range()

    # -- construction -------------------------------------------------------
    def _build(self):
        cfg, fc, L = self.cfg, self.grid.carrier_frequency, self.num_rx_antennas
        common = dict(precision="single", device=self.device)
        if isinstance(cfg, TDLModel):
            fixed = not _tdl_scalable(cfg.profile)
            return TDL(cfg.profile, delay_spread=None if fixed else 1.0, carrier_frequency=fc,
                       min_speed=0.0, max_speed=0.0, num_rx_ant=L, **common)
        if isinstance(cfg, PDPModel):
            tdl = TDL("A", delay_spread=1.0, carrier_frequency=fc, min_speed=0.0,
                      max_speed=0.0, num_rx_ant=L, **common)
            table = pdp_table_profile(cfg.profile)
            tdl._los = False
            tdl._scale_delays = True  # delays [s] × _delay_spread (= 1)
            tdl._num_clusters = len(table.delays)
            tdl._delays = torch.as_tensor(table.delays, dtype=torch.float32, device=self.device)
            tdl._mean_powers = torch.as_tensor(table.powers, dtype=torch.complex64,
                                               device=self.device)
            return tdl
        if isinstance(cfg, CDLModel):
            arr = dict(polarization="single", polarization_type="V", antenna_pattern="omni",
                       carrier_frequency=fc, **common)
            ut = AntennaArray(num_rows=1, num_cols=1, **arr)
            bs = AntennaArray(num_rows=1, num_cols=L, horizontal_spacing=0.5, **arr)
            return CDL(cfg.profile, delay_spread=1.0, carrier_frequency=fc, ut_array=ut,
                       bs_array=bs, direction="uplink", **common)
        return RayleighBlockFading(num_rx=1, num_rx_ant=L, num_tx=1, num_tx_ant=1, **common)

    def _profile(self) -> TapProfile:
        m, label = self._model, self.label
        if isinstance(self.cfg, PDPModel):
            return pdp_table_profile(self.cfg.profile)
        if isinstance(self.cfg, TDLModel):
            los = float(m.mean_power_los) if m.los else 0.0
            return TapProfile(label, m.delays.cpu().double().numpy(),
                              m.mean_powers.cpu().double().numpy(),
                              scale_delays=_tdl_scalable(self.cfg.profile), los_power=los)
        if isinstance(self.cfg, CDLModel):
            k = float(m._k_factor)
            powers = m._powers.cpu().double().numpy() / (1.0 + k)
            delays = m._delays.cpu().double().numpy()
            if k > 0:  # the specular ray arrives with the first cluster
                powers[0] += k / (1.0 + k)
            return TapProfile(label, delays, powers, scale_delays=True, los_power=k / (1.0 + k))
        return TapProfile(label, np.zeros(1), np.ones(1), scale_delays=False)

    def _delay_spread_range(self) -> tuple[float, float]:
        """(lo, hi) RMS delay spread [s]: drawn uniformly if scalable, else the profile's own."""
        if self.scales_delay_spread:
            lo, hi = self.cfg.delay_spread_ns
            return lo * 1e-9, hi * 1e-9
        ds = rms_delay_spread(self.profile.delays, self.profile.powers)
        return ds, ds

    def _doppler_range(self) -> tuple[float, float]:
        """(lo, hi) maximum Doppler [Hz], drawn uniformly (block fading: 0)."""
        if isinstance(self.cfg, RayleighModel):
            return 0.0, 0.0
        if self.cfg.doppler_hz is not None:
            return tuple(self.cfg.doppler_hz)
        scale = self.grid.carrier_frequency / SPEED_OF_LIGHT
        lo, hi = self.cfg.speed_mps
        return lo * scale, hi * scale

    # -- sampling -----------------------------------------------------------
    def __call__(self, delay_spread: torch.Tensor, doppler: torch.Tensor,
                 gen: torch.Generator) -> torch.Tensor:
        """Draw channel grids.

        Args:
            delay_spread: [n] RMS delay spread per sample [s] (ignored by fixed profiles).
            doppler: [n] maximum Doppler per sample [Hz].
            gen: generator for the draws made here (CDL direction of travel).

        Returns:
            h: [n, L, S, F] complex64.
        """
        n = int(delay_spread.shape[0])
        S = self.grid.num_symbols
        if isinstance(self._model, TDL):
            a, tau = self._call_tdl(n, doppler)
        elif isinstance(self._model, CDL):
            a, tau = self._call_cdl(n, doppler, gen)
        else:
            a, tau = self._model(n, S, self._fs)
        # a: [n, 1, L, 1, 1, C, S]; tau: [n, 1, 1, C] in s (unit delay spread if scalable)
        if self.scales_delay_spread:
            tau = tau * delay_spread.to(tau.dtype).view(n, 1, 1, 1)
        h = cir_to_ofdm_channel(self._freqs, a, tau)  # [n, 1, L, 1, 1, S, F]
        return h[:, 0, :, 0, 0].to(torch.complex64)  # [n, L, S, F]

    def _call_tdl(self, n: int, doppler: torch.Tensor):
        tdl = self._model
        omega = (2.0 * math.pi * doppler.to(torch.float32)).view(n, 1, 1, 1, 1, 1, 1, 1)
        saved = tdl._min_doppler, tdl._max_doppler
        tdl._min_doppler, tdl._max_doppler = omega, omega
        try:
            return tdl(n, self.grid.num_symbols, self._fs)
        finally:
            tdl._min_doppler, tdl._max_doppler = saved

    def _call_cdl(self, n: int, doppler: torch.Tensor, gen: torch.Generator):
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


def _tdl_scalable(profile: str) -> bool:
    return profile in ("A", "B", "C", "D", "E")


def make_sampler(cfg, grid: GridConfig, num_rx_antennas: int, device: str) -> ChannelSampler:
    """A :class:`ChannelSampler` for one channel-model entry of a scenario."""
    return ChannelSampler(cfg, grid, num_rx_antennas, device)
