"""3GPP TR 38.901 system-level channels (UMi, UMa, RMa) with a drop per grid.

Each grid is one uplink from a user dropped uniformly in a 120° sector around the base
station (Sionna's ``gen_single_sector_topology``: distance, height, indoor/outdoor,
orientation), with LoS/NLoS, large-scale parameters (delay and angle spreads, K-factor) and
rays as the model draws them for that position. The user moves at the grid's speed
(drawn by chanest from ``speed_mps``) in the direction the topology draws.

By default path loss and shadow fading are off and each grid is scaled to unit expected
power given its rays (UMi/UMa rays carry about 0.7 of unit power otherwise); with
``pathloss: true`` both are on and grids keep their power (for SNR-per-user studies; the
SNR is then that of a unit-power channel).

Per grid, the model's own parameters are recorded (:data:`PARAMETERS`): LoS flag, RMS delay
spread, azimuth/zenith spread of arrival, K-factor, 2-D distance, indoor flag.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import torch
from pydantic import Field, model_validator

from chanest.channels.base import SPEED_OF_LIGHT, ChannelSampler, Draw, ModelBase
from chanest.channels.paths import PathRecorder
from chanest.channels.profiles import TapProfile

__all__ = ["SystemModel", "SystemSampler", "PARAMETERS"]

#: per-grid parameters a system-level draw records, with their units (K-factor: LoS only)
PARAMETERS = {"los": "bool", "delay_spread_lsp": "s", "asa": "deg", "zsa": "deg",
              "k_factor_db": "dB", "distance_2d": "m", "indoor": "bool"}


class SystemModel(ModelBase):
    """UMi, UMa or RMa (TR 38.901 7.2–7.6) with a per-grid single-sector drop."""

    geometric = True
    description: ClassVar[str] = ("3GPP TR 38.901 UMi/UMa/RMa, a single-sector drop per grid "
                                  "(LoS/NLoS, spreads and rays as the model draws them)")
    model: Literal["umi", "uma", "rma"]
    o2i: Literal["low", "high"] = Field(default="low", description="building penetration "
                                        "loss model (umi/uma)")
    indoor_probability: float | None = Field(default=None, ge=0.0, le=1.0,
                                             description="default: 0.8 (umi/uma), 0.5 (rma)")
    los: Literal["drawn", "los", "nlos"] = "drawn"
    pathloss: bool = False

    @model_validator(mode="after")
    def _check(self) -> SystemModel:
        if self.doppler_hz is not None:
            raise ValueError(f"{self.model} draws each path's Doppler from the user's speed: "
                             "give speed_mps, not doppler_hz")
        return self

    @property
    def label(self) -> str:
        return self.model if self.los == "drawn" else f"{self.model}-{self.los}"

    def sampler(self, grid, array, device: str) -> SystemSampler:
        return SystemSampler(self, grid, array, device)


class SystemSampler(ChannelSampler):
    """Sionna's UMi/UMa/RMa, one drop per grid, recording each grid's paths."""

    def _build(self):
        from sionna.phy.channel.tr38901 import RMa, UMa, UMi

        cfg, fc = self.cfg, self.grid.carrier_frequency
        kind = {"umi": UMi, "uma": UMa, "rma": RMa}[cfg.model]
        extra = {} if cfg.model == "rma" else {"o2i_model": cfg.o2i}
        model = kind(carrier_frequency=fc, ut_array=self.ut_array(), bs_array=self.bs_array(),
                     direction="uplink", enable_pathloss=cfg.pathloss,
                     enable_shadow_fading=cfg.pathloss, **extra, **self._common)
        self._recorder = PathRecorder.install(model, "_cir_sampler")
        return model

    def _profile(self) -> TapProfile:
        # no scenario-average power-delay profile: the delays are drawn per drop
        return TapProfile(self.label, np.zeros(0), np.zeros(0), scale_delays=False)

    def _delay_spread_range(self) -> tuple[float, float]:
        return 0.0, 0.0

    def draw(self, delay_spread: torch.Tensor, doppler: torch.Tensor, gen: torch.Generator,
             paths: bool = False) -> Draw:
        """Channel grids of ``n`` drops (``delay_spread`` is ignored: the model draws it).

        Args:
            delay_spread: [n] ignored.  doppler: [n] maximum Doppler [Hz] (the speed).
            gen: unused (Sionna's generator draws the drops).
            paths: also return each grid's :class:`~chanest.channels.paths.Paths`.

        Returns:
            :class:`Draw` with ``h`` [n, A, S, F], ``paths`` and :data:`PARAMETERS` [n].
        """
        from sionna.phy.channel import cir_to_ofdm_channel, gen_single_sector_topology

        n, cfg, model = int(doppler.shape[0]), self.cfg, self._model
        topo = gen_single_sector_topology(n, 1, cfg.model,
                                          indoor_probability=cfg.indoor_probability,
                                          min_ut_velocity=0.0, max_ut_velocity=1.0,
                                          **self._common)
        ut_loc, bs_loc, ut_orient, bs_orient, ut_vel, in_state = topo
        speed = doppler.to(ut_vel.dtype) * SPEED_OF_LIGHT / self.grid.carrier_frequency  # [n]
        direction = ut_vel / ut_vel.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        los = None if cfg.los == "drawn" else cfg.los == "los"
        model.reset_topology()  # each draw may hold another number of grids
        model.set_topology(ut_loc, bs_loc, ut_orient, bs_orient,
                           direction * speed[:, None, None], in_state, los=los)
        self._recorder.record = True
        try:
            a, tau = model(self.grid.num_symbols, self._fs)  # [n, 1, A, 1, 1, C, S]
        finally:
            self._recorder.record = False
        found = self._recorder.paths
        h = cir_to_ofdm_channel(self._freqs, a, tau)[:, 0, :, 0, 0]  # [n, A, S, F]
        if not cfg.pathloss:
            scale = found.power().clamp_min(1e-30).rsqrt()  # [n] unit expected power
            h = h * scale.to(h.dtype)[:, None, None, None]
            found.gain = found.gain * scale.to(found.gain.dtype)[:, None, None]
        return Draw(h.to(torch.complex64), found if paths else None,
                    self._parameters(model, ut_loc, bs_loc, in_state))

    @staticmethod
    def _parameters(model, ut_loc, bs_loc, in_state) -> dict[str, torch.Tensor]:
        lsp = model._lsp
        def first(t: torch.Tensor) -> torch.Tensor:  # [n, 1, 1] -> [n]
            return t.reshape(t.shape[0], -1)[:, 0]

        k = first(lsp.k_factor).clamp_min(1e-30)
        los = first(model._scenario.los)
        return {"los": los.float(),
                "delay_spread_lsp": first(lsp.ds).float(),
                "asa": first(lsp.asa).float(), "zsa": first(lsp.zsa).float(),
                "k_factor_db": torch.where(los, 10 * torch.log10(k), float("nan")).float(),
                "distance_2d": (ut_loc[:, 0, :2] - bs_loc[:, 0, :2]).norm(dim=-1).float(),
                "indoor": in_state[:, 0].float()}
