"""Joint 2-D LMMSE estimators: practical (``lmmse``), robust, and the genie bound.

For the LS pilots z = h_p + n (n ~ CN(0, no·I)) and a prior R, the LMMSE estimate
and its error are::

    ĥ = R_hp (R_pp + no·I)^{-1} z,     diag E = diag R − diag(R_hp (R_pp + no·I)^{-1} R_ph).

We precompute once per prior the eigendecomposition R_pp = Q Λ Q^H (float64)
and A = R_hp Q; then for *any* per-sample no::

    ĥ = A · diag(1/(λ + no)) · Q^H z,   diag E_i = R_ii − Σ_k |A_ik|² / (λ_k + no)

— two batched complex64 matmuls ([P, P] then [P, N]), exact for every noise
level, so no filter cache or SNR quantisation is needed. The error diagonal is
evaluated in float64 once per distinct no of the batch.

* ``lmmse``: prior = the scenario's nominal covariance, averaged over its delay-spread
  and Doppler ranges (mixture weights from the context, else equal), or fitted
  statistics after ``fit``.
  For the average prior the filter is the best *linear* estimator for the scenario
  and ``err_var`` is its predicted error (exact on average over the scenario, not
  per sample, since the filter is mismatched to each sample's statistics).
* ``lmmse-robust``: the classic robust design (uniform PDP up to the cyclic prefix,
  flat Doppler spectrum up to the scenario's maximum Doppler). Built per noise level
  (cached); ``err_var`` is its MSE under the nominal statistics, not the design prior.
* ``genie-lmmse``: per-sample true covariance from the side information; for
  Rayleigh taps with Jakes Doppler this is the conditional MMSE — a bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from chanest.estimators._linalg import eigh
from chanest.estimators.base import Estimate, GridContext, Observation
from chanest.estimators.covmodels import (
    cp_duration,
    max_scenario_delay,
    nominal_covariance,
    robust_covariance,
    sample_lags,
)
from chanest.estimators.linear import LinearFilterEstimator, PilotEstimator
from chanest.estimators.statistics import (
    PriorBlocks,
    fit_prior,
    kron_blocks,
    lagcov_blocks,
)
from chanest.schema import ConfigError
from chanest.warn import warn

__all__ = ["SpectralFilter", "spectral_filter", "LMMSEEstimator", "RobustLMMSEEstimator",
           "GenieLMMSEEstimator"]


@dataclass
class SpectralFilter:
    """Eigen-form LMMSE filters of G priors (see module docstring).

    Attributes:
        q_conj: [G, P, P] complex64, conj(Q).
        lam: [G, P] float64, eigenvalues of R_pp (clamped at 0).
        at: [G, P, N] complex64, A^T with A = R_hp Q.
        a_abs2: [G, P, N] float64, |A^T|².
        r_diag: [G, N] float64, diag R.
    """

    q_conj: torch.Tensor
    lam: torch.Tensor
    at: torch.Tensor
    a_abs2: torch.Tensor
    r_diag: torch.Tensor

    def apply(self, g: int, z: torch.Tensor, no: torch.Tensor) -> tuple[torch.Tensor,
                                                                         torch.Tensor]:
        """Filter samples that share prior ``g``.

        Args:
            z: [b, L, P] complex64 LS pilots.  no: [b] noise variances.

        Returns:
            h: [b, L, N] complex64, err: [b, N] float32.
        """
        no64 = no.to(torch.float64)
        scale = 1.0 / (self.lam[g][None, :] + no64[:, None])  # [b, P]
        h = ((z @ self.q_conj[g]) * scale.to(torch.float32)[:, None, :]) @ self.at[g]
        uniq, inv = torch.unique(no64, return_inverse=True)
        err = self.r_diag[g][None] - (1.0 / (self.lam[g][None] + uniq[:, None])) @ self.a_abs2[g]
        return h, err.clamp_min(0.0).to(torch.float32)[inv]  # [b, L, N], [b, N]

    def apply_each(self, groups: torch.Tensor, z: torch.Tensor,
                   no: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Filter sample i with prior ``groups[i]`` (one sample per prior, batched).

        Args:
            groups: [n] prior indices.  z: [n, L, P] complex64.  no: [n].

        Returns:
            h: [n, L, N] complex64, err: [n, N] float32.
        """
        scale = 1.0 / (self.lam[groups] + no.to(torch.float64)[:, None])  # [n, P]
        h = torch.bmm(torch.bmm(z, self.q_conj[groups]) * scale.to(torch.float32)[:, None, :],
                      self.at[groups])
        err = self.r_diag[groups] - torch.bmm(scale[:, None, :], self.a_abs2[groups])[:, 0]
        return h, err.clamp_min(0.0).to(torch.float32)  # [n, L, N], [n, N]


def spectral_filter(blocks: PriorBlocks, device: str) -> SpectralFilter:
    """Eigen-form filters from blocks with a leading group dim ([G, N, P], [G, P, P], [G, N])."""
    lam, q = eigh(blocks.r_pp)  # [G, P], [G, P, P]
    at = (blocks.r_hp @ q).transpose(-1, -2).contiguous()  # [G, P, N] = A^T
    a_abs2 = torch.view_as_real(at).square().sum(-1)  # [G, P, N] float64
    return SpectralFilter(q.conj().to(torch.complex64).to(device), lam.clamp_min(0.0).to(device),
                          at.to(torch.complex64).to(device), a_abs2.to(device),
                          blocks.r_diag.to(device))


def _grouped(blocks: PriorBlocks) -> PriorBlocks:
    return PriorBlocks(blocks.r_hp[None], blocks.r_pp[None], blocks.r_diag[None],
                       blocks.description)


class LMMSEEstimator(PilotEstimator):
    """Practical joint 2-D LMMSE from nominal (or fitted) statistics."""

    def __init__(self, ctx: GridContext, device: str = "cpu", mode: str = "average"):
        super().__init__(ctx, device)
        if mode not in ("average", "mid"):
            raise ConfigError(f"lmmse: mode must be 'average' or 'mid', got {mode!r}")
        self._unfitted: ConfigError | None = None
        try:
            blocks = lagcov_blocks(nominal_covariance(ctx, mode), ctx.pilot_idx)
        except ConfigError as err:
            if not any(len(p.delays) == 0 for p in ctx.profiles):
                raise
            # models that draw their taps per grid (UMi, sites): only fitted statistics,
            # refused at estimate() unless fit() came first
            self._unfitted, self.statistics, self._shrinkage = err, "none", None
            return
        self._set_prior(blocks)

    def _set_prior(self, blocks: PriorBlocks) -> None:
        self.statistics = blocks.description
        self._filter = spectral_filter(_grouped(blocks), self.device)
        self._shrinkage = blocks.shrinkage

    def _unshrunk_error(self, no: torch.Tensor) -> torch.Tensor:
        """[b, N] error of the filter under the *sample* moments R̂, not the shrunk prior.

        With R_s = (1−α)R̂ + αμI the filter W = R_s,hp (R_s,pp + no I)^{-1} has, per RE i,
        E_i = (R_s,ii − c_i − αμ(1 − 2d_i + g_i) − no·g_i) / (1−α) + no·g_i, where
        c_i = Σ_k |A_ik|²/(λ_k+no), g_i = ‖W_i‖² = Σ_k |A_ik|²/(λ_k+no)² and d_i = Re W[i, p]
        at the pilot p on RE i (0 elsewhere) = Σ_k |Q_pk|² λ_k/(λ_k+no). Reporting the error
        under R_s instead counts the shrinkage term αμ as unpredictable channel power.
        """
        alpha, mu = self._shrinkage
        f = self._filter
        no64 = no.to(torch.float64)
        uniq, inv_idx = torch.unique(no64, return_inverse=True)
        inv = 1.0 / (f.lam[0][None] + uniq[:, None])  # [u, P]
        c = inv @ f.a_abs2[0]  # [u, N]
        g = inv.square() @ f.a_abs2[0]
        d = torch.zeros_like(c)
        d[:, torch.as_tensor(self.ctx.pilot_idx, device=c.device)] = \
            (f.lam[0][None] * inv) @ f.q_conj[0].abs().square().double().T  # |Q[p, k]|²
        err = (f.r_diag[0][None] - c - alpha * mu * (1 - 2 * d + g) - uniq[:, None] * g) \
            / (1 - alpha) + uniq[:, None] * g
        return err.clamp_min(0.0).to(torch.float32)[inv_idx]

    def fit(self, dataset) -> LMMSEEstimator:
        """Use second moments of the training channels (with shrinkage) instead."""
        self._set_prior(fit_prior(dataset, self.ctx.pilot_idx, device="cpu"))
        self._unfitted = None
        return self

    def provenance(self) -> dict:
        return {"statistics": self.statistics,
                "err_var": "predicted LMMSE error under these statistics" +
                           (" (sample moments, without the shrinkage term)"
                            if self._shrinkage else "")}

    def estimate(self, obs: Observation) -> Estimate:
        if self._unfitted is not None:
            raise self._unfitted
        z, no = self._front(obs)
        h, err = self._filter.apply(0, z, no)
        if self._shrinkage is not None and self._shrinkage[0] < 1:
            err = self._unshrunk_error(no)
        return self._grid(h, err)


class RobustLMMSEEstimator(LinearFilterEstimator):
    """Robust LMMSE (Li, Cimini & Sollenberger 1998): uniform PDP and flat Doppler."""

    noise_dependent = True

    def __init__(self, ctx: GridContext, device: str = "cpu", max_delay: float | None = None,
                 max_doppler: float | None = None, doppler_spectrum: str = "uniform",
                 cache_mb: float = 256.0):
        super().__init__(ctx, device, cache_mb)
        if max_delay is None and ctx.profiles and max_scenario_delay(ctx) > cp_duration(ctx.grid):
            warn(f"lmmse-robust: the scenario's channels reach "
                 f"{max_scenario_delay(ctx) * 1e6:.3g} us, beyond the design's uniform PDP up to "
                 f"the cyclic prefix ({cp_duration(ctx.grid) * 1e6:.3g} us); pass "
                 "max_delay or use lmmse-adaptive")
        try:
            cov = robust_covariance(ctx, max_delay, max_doppler, doppler_spectrum)
        except ValueError as err:
            raise ConfigError(f"lmmse-robust: {err}") from None
        self.design = cov.description
        blocks = lagcov_blocks(cov, ctx.pilot_idx)
        lam, self._q = eigh(blocks.r_pp)  # [P], [P, P]
        self._lam = lam.clamp_min(0.0)
        self._a = blocks.r_hp @ self._q  # [N, P]

    def weights(self, no: float) -> torch.Tensor:
        """W = A diag(1/(λ+no)) Q^H: [N, P] complex128."""
        return (self._a / (self._lam + no)) @ self._q.conj().T

    def provenance(self) -> dict:
        return {"design": self.design, **super().provenance()}


class GenieLMMSEEstimator(PilotEstimator):
    """MMSE bound: LMMSE with each sample's true covariance (reads ``obs.side``; its
    catalog entry makes it a bound).

    Samples are grouped by identical (model, delay spread, Doppler); filters for up
    to ``group_mb`` MiB of groups are built at once in float64 on the device.
    ``err_var`` is the exact conditional error variance under that covariance.
    """

    def __init__(self, ctx: GridContext, device: str = "cpu", group_mb: float = 256.0):
        super().__init__(ctx, device)
        if not ctx.profiles:
            raise ConfigError("genie-lmmse: the dataset carries no channel profiles")
        n, p = ctx.mask.size, int(ctx.mask.sum())
        self._groups_per_chunk = max(1, int(group_mb * 2**20 // (n * p * 40)))

    def estimate(self, obs: Observation) -> Estimate:
        if obs.side is None:
            raise ConfigError("genie-lmmse: a bound needs the true per-sample parameters "
                              "(Observation.side)")
        z, no = self._front(obs)
        side = obs.side
        params = torch.stack([side.model.to(self.device).double(),
                              side.delay_spread.to(self.device).double(),
                              side.doppler.to(self.device).double()], 1)  # [B, 3]
        uniq, inv = torch.unique(params, dim=0, return_inverse=True)  # [G, 3], [B]
        B, L, _ = z.shape
        h = torch.empty(B, L, self.ctx.mask.size, dtype=torch.complex64, device=self.device)
        err = torch.empty(B, self.ctx.mask.size, dtype=torch.float32, device=self.device)
        counts = torch.bincount(inv, minlength=len(uniq))  # [G] samples per parameter set
        owner = torch.empty_like(counts).scatter_(0, inv, torch.arange(B, device=self.device))
        for lo in range(0, len(uniq), self._groups_per_chunk):
            chunk = uniq[lo:lo + self._groups_per_chunk]
            t, f = sample_lags(self.ctx, chunk[:, 0].long(), chunk[:, 1], chunk[:, 2])
            filt = spectral_filter(kron_blocks(t, f, self.ctx.pilot_idx), self.device)
            n_per = counts[lo:lo + len(chunk)]
            single = torch.nonzero(n_per == 1).squeeze(1)  # one batched pass for singletons
            if len(single):
                idx = owner[lo + single]
                h[idx], err[idx] = filt.apply_each(single, z[idx], no[idx])
            for g in torch.nonzero(n_per > 1).squeeze(1).tolist():
                idx = torch.nonzero(inv == lo + g).squeeze(1)
                h[idx], err[idx] = filt.apply(g, z[idx], no[idx])
        return self._grid(h, err)

    def provenance(self) -> dict:
        return {"statistics": "true per-sample covariance (side information) - bound",
                "err_var": "conditional LMMSE error variance"}
