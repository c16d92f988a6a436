"""``lmmse-sionna``: Sionna's separable ``LMMSEChannelEstimator``, wrapped unchanged.

Sionna takes the full received grid ``y [B, num_rx, num_rx_ant, S, F]`` and a
``ResourceGrid`` whose ``PilotPattern`` carries our mask and pilots; it extracts
the pilots itself (row-major order, the same as ours), computes LS, and runs its
1-D LMMSE passes (``order``, default ``"f-t"``) with per-example filters and a
variance-rescaling step between passes. We scatter our pilot observations into an
otherwise empty grid, use the separable marginals of the nominal covariance (the
same statistics as ``lmmse-separable``) and return Sionna's ``h_hat`` and
``err_var`` (its own predicted error, which assumes diagonal error covariances
between passes) reshaped to ``[B, L, S, F]``.
"""

from __future__ import annotations

import torch

from chanest.estimators.base import Estimate, Estimator, GridContext, Observation
from chanest.estimators.covmodels import nominal_covariance
from chanest.grid.ofdm import to_sionna_resource_grid
from chanest.schema import ConfigError

__all__ = ["SionnaLMMSEEstimator", "pilots_to_grid"]


def pilots_to_grid(y: torch.Tensor, pilot_idx: torch.Tensor, S: int, F: int) -> torch.Tensor:
    """Scatter pilot observations into Sionna's received-grid layout.

    Args:
        y: [B, L, P] complex64.  pilot_idx: [P] flat row-major indices.

    Returns:
        [B, 1, L, S, F] complex64 (zeros off the pilots).
    """
    B, L, _ = y.shape
    grid = torch.zeros(B, L, S * F, dtype=y.dtype, device=y.device)
    grid[..., pilot_idx] = y
    return grid.reshape(B, 1, L, S, F)


class SionnaLMMSEEstimator(Estimator):
    """Thin adapter around ``sionna.phy.ofdm.LMMSEChannelEstimator``."""

    def __init__(self, ctx: GridContext, device: str = "cpu", order: str = "f-t"):
        super().__init__(ctx, device)
        from sionna.phy.ofdm import LMMSEChannelEstimator

        if order not in ("f-t", "t-f"):
            raise ConfigError(f"lmmse-sionna: order must be 'f-t' or 't-f', got {order!r}")
        self.order = order
        cov = nominal_covariance(ctx, "average")
        self.design = f"separable marginals of the {cov.description}"
        r_t, r_f = cov.marginals()
        self.cov_time = r_t.to(torch.complex64)  # [S, S]
        self.cov_freq = r_f.to(torch.complex64)  # [F, F]
        rg = to_sionna_resource_grid(ctx.grid, ctx.mask, ctx.pilots)
        self.sionna = LMMSEChannelEstimator(rg, self.cov_time.to(device),
                                            self.cov_freq.to(device), order=order,
                                            precision="single", device=device)
        self._pilot_idx = torch.as_tensor(ctx.pilot_idx, device=device)

    def provenance(self) -> dict:
        return {"design": self.design, "order": self.order,
                "err_var": "Sionna's own predicted error variance, passed through unchanged "
                           "(measured 1-3 dB below the actual MSE at 0-10 dB; lmmse-separable "
                           "reports a calibrated one for the same design)"}

    def bytes_per_grid(self) -> int:
        """Sionna builds per-example [F, F] and [S, S] filters: measured about 0.21 GB per
        grid at 624x14 (about 40 F² S bytes)."""
        S, F = self.ctx.mask.shape
        return 40 * F * F * S + super().bytes_per_grid()

    def estimate(self, obs: Observation) -> Estimate:
        S, F = self.ctx.mask.shape
        y = pilots_to_grid(obs.y.to(self.device), self._pilot_idx, S, F)  # [B, 1, L, S, F]
        h, err = self.sionna(y, obs.no.to(self.device).float())  # [B, 1, L, 1, 1, S, F]
        return Estimate(h[:, 0, :, 0, 0].to(torch.complex64).contiguous(),
                        err[:, 0, :, 0, 0].to(torch.float32).contiguous())
