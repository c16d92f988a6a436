"""What every channel model shares: its config base (weight, mobility) and the sampler.

A channel-model config (one file per family in :mod:`chanest.channels`) builds its own
sampler, as a pilot config builds its mask::

    cfg.sampler(grid, array, device) -> ChannelSampler
    sampler(delay_spread [n], doppler [n], gen) -> h [n, L, S, F] complex64
    sampler.draw(delay_spread [n], doppler [n], gen, paths=True) -> Draw (h, paths, params)

``array`` is the receiver's :class:`~chanest.channels.arrays.ArrayConfig` (L elements).
Models without a geometry (TDL, tabulated PDPs, Rayleigh) draw L independent antennas;
models with one (``geometric``: CDL, UMi/UMa/RMa) see the array and can return each grid's
propagation paths (:mod:`chanest.channels.paths`) for a per-grid reference.

Sionna draws the fading processes (sum-of-sinusoids phases, CDL ray phases, Rayleigh
taps) from ``sionna.phy.config.torch_rng(device)``; the caller seeds that generator per
chunk (see :mod:`chanest.data.simulate`). The per-sample parameters are drawn by the
caller so that they can be recorded for a genie estimator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from pydantic import Field, model_validator

from chanest.channels.arrays import ArrayConfig
from chanest.channels.paths import Paths
from chanest.channels.profiles import TapProfile, rms_delay_spread
from chanest.grid.ofdm import GridConfig, subcarrier_frequencies
from chanest.schema import Range, Strict

__all__ = ["ModelBase", "ChannelSampler", "Draw", "SPEED_OF_LIGHT"]

SPEED_OF_LIGHT = 299_792_458.0


class ModelBase(Strict):
    """Mobility: ``speed_mps`` or ``doppler_hz`` (maximum Doppler), drawn uniformly per
    sample; static (speed 0) if neither is given.

    A subclass sets ``model`` (its tag in ``channel.models``) and ``description`` (one
    line for ``info``) and implements :meth:`label` and :meth:`sampler`; ``geometric``
    models use the array's geometry.
    """

    description: ClassVar[str] = ""
    geometric: ClassVar[bool] = False
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
    def _check_mobility(self) -> ModelBase:
        if self.doppler_hz is not None and self.speed_mps is not None:
            raise ValueError("give either speed_mps or doppler_hz, not both")
        for name in ("speed_mps", "doppler_hz"):
            rng = getattr(self, name)
            if rng is not None and rng[0] < 0:
                raise ValueError(f"{name} must be >= 0, got {list(rng)}")
        return self

    @property
    def label(self) -> str:
        """Short label of the entry, e.g. ``tdl-A``, ``pdp-VehA``."""
        return f"{self.model}-{self.profile}"

    def sampler(self, grid: GridConfig, array: ArrayConfig, device: str) -> ChannelSampler:
        """The :class:`ChannelSampler` of this entry on ``grid`` and ``device`` for the
        receive ``array``."""
        raise NotImplementedError


@dataclass
class Draw:
    """One draw of a sampler.

    Attributes:
        h: [n, L, S, F] complex64 channel grids.
        paths: each grid's :class:`Paths` (geometric models, when asked), else None.
        params: per-grid parameters the model drew itself, name -> [n] float32.
    """

    h: torch.Tensor
    paths: Paths | None = None
    params: dict[str, torch.Tensor] = field(default_factory=dict)


class ChannelSampler:
    """Channel grids for one model entry on one grid and device.

    A subclass builds its Sionna model in :meth:`_build`, returns its profile in
    :meth:`_profile` and draws ``(a [n, 1, L, 1, 1, C, S], tau [n, 1, 1, C])`` in
    :meth:`_draw`; this base turns them into frequency responses.

    Attributes:
        label: model label.
        profile: its :class:`TapProfile` (recorded in datasets).
        scales_delay_spread: whether the per-sample delay spread changes the taps.
        delay_spread_range: (lo, hi) RMS delay spread [s] drawn per sample.
        doppler_range: (lo, hi) maximum Doppler [Hz] drawn per sample.
    """

    def __init__(self, cfg: ModelBase, grid: GridConfig, array: ArrayConfig, device: str):
        self.cfg = cfg
        self.label = cfg.label
        self.grid = grid
        self.array = array
        self.num_rx_antennas = array.num_elements
        self.device = device
        self._freqs = torch.as_tensor(subcarrier_frequencies(grid), dtype=torch.float32,
                                      device=device)  # [F]
        self._fs = 1.0 / grid.symbol_duration
        self._model = self._build()
        self.profile = self._profile()
        self.scales_delay_spread = self.profile.scale_delays
        self.delay_spread_range = self._delay_spread_range()
        self.doppler_range = self._doppler_range()

    @property
    def _common(self) -> dict:
        return dict(precision="single", device=self.device)

    def bs_array(self):
        """The receiver's Sionna ``PanelArray``."""
        return self.array.sionna(self.grid.carrier_frequency, self.device)

    def ut_array(self):
        """The transmitter's Sionna ``PanelArray``: one vertically polarised omni element."""
        return ArrayConfig().sionna(self.grid.carrier_frequency, self.device)

    def _build(self):
        raise NotImplementedError

    def _profile(self) -> TapProfile:
        raise NotImplementedError

    def _draw(self, n: int, doppler: torch.Tensor, gen: torch.Generator, paths: bool):
        """(a [n, 1, L, 1, 1, C, S], tau [n, 1, 1, C]) of Sionna's model."""
        raise NotImplementedError

    def _delay_spread_range(self) -> tuple[float, float]:
        """(lo, hi) RMS delay spread [s]: drawn uniformly if scalable, else the profile's own."""
        if self.scales_delay_spread:
            lo, hi = self.cfg.delay_spread_ns
            return lo * 1e-9, hi * 1e-9
        ds = rms_delay_spread(self.profile.delays, self.profile.powers)
        return ds, ds

    def _doppler_range(self) -> tuple[float, float]:
        """(lo, hi) maximum Doppler [Hz], drawn uniformly."""
        if self.cfg.doppler_hz is not None:
            return tuple(self.cfg.doppler_hz)
        scale = self.grid.carrier_frequency / SPEED_OF_LIGHT
        lo, hi = self.cfg.speed_mps
        return lo * scale, hi * scale

    def __call__(self, delay_spread: torch.Tensor, doppler: torch.Tensor,
                 gen: torch.Generator) -> torch.Tensor:
        """Draw channel grids: ``h`` [n, L, S, F] complex64 of :meth:`draw`."""
        return self.draw(delay_spread, doppler, gen).h

    def draw(self, delay_spread: torch.Tensor, doppler: torch.Tensor, gen: torch.Generator,
             paths: bool = False) -> Draw:
        """Draw channel grids.

        Args:
            delay_spread: [n] RMS delay spread per sample [s] (ignored by fixed profiles).
            doppler: [n] maximum Doppler per sample [Hz].
            gen: generator for the draws made here (CDL direction of travel).
            paths: also return each grid's paths (models that record them).

        Returns:
            :class:`Draw`: ``h`` [n, L, S, F] complex64, ``paths`` or None.
        """
        from sionna.phy.channel import cir_to_ofdm_channel

        n = int(delay_spread.shape[0])
        a, tau = self._draw(n, doppler, gen, paths)
        # a: [n, 1, L, 1, 1, C, S]; tau: [n, 1, 1, C] in s (unit delay spread if scalable)
        if self.scales_delay_spread:
            tau = tau * delay_spread.to(tau.dtype).view(n, 1, 1, 1)
        h = cir_to_ofdm_channel(self._freqs, a, tau)  # [n, 1, L, 1, 1, S, F]
        found = self._paths(delay_spread) if paths else None
        return Draw(h[:, 0, :, 0, 0].to(torch.complex64), found)  # [n, L, S, F]

    def _paths(self, delay_spread: torch.Tensor) -> Paths | None:
        """The paths of the last draw (geometric models), delays scaled like the taps."""
        return None
