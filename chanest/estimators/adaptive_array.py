"""``lmmse-adaptive-array``: per-grid space–time–frequency LMMSE without scenario statistics.

An array sees a grid's energy arrive from a few directions, so across its A antennas the
channel lives in a few dimensions. From the grid's own LS pilots Z [A, P] (z = h + n,
n ~ CN(0, no)) the estimator takes the sample spatial covariance and its eigenbasis::

    Ŝ = Z Zᴴ / P = U diag(σ) Uᴴ,    λ_a = max((1 − α) σ_a + α μ − no, 0)   (signal power per
                                                                         eigen-direction)

(Ledoit–Wolf shrinkage α towards μ = tr Ŝ / A: a direction whose power the P pilots cannot
tell from the noise keeps some of the mean power instead of being discarded)

and rotates the antennas into it (z̃ = Uᴴ Z keeps the noise white). Each eigen-direction a
is then a single-antenna grid with channel power λ_a: normalised, z̃_a / √λ_a has a unit-power
channel and noise no / λ_a. As in ``lmmse-adaptive``, a bank of delay/Doppler priors R_g is
weighted by the grid's pilot likelihood, here pooled over the directions, each with its
own noise level (h̃_a ~ CN(0, λ_a R_g))::

    log p(g | Z) = const − Σ_a Σ_i [ |q_giᴴ z̃_a|² / (λ_a μ_gi + no) + log(λ_a μ_gi + no) ]

and each direction is filtered with the posterior mixture of the bank's LMMSE filters at its
own noise level. The estimate is rotated back, ĥ = U diag(√λ) ĥ_n, with ``err_var``
Σ_a |U[a', a]|² λ_a err_n,a. Strong directions gain their array gain in SNR; directions
without power (λ_a ≈ 0) are estimated as 0.

Treating U as known (it is estimated from the same pilots) and the directions as
uncorrelated makes this an approximation of the MMSE estimate; no true statistics are read.
"""

from __future__ import annotations

import torch

from chanest.estimators.adaptive import AdaptiveLMMSEEstimator
from chanest.estimators.base import Estimate, GridContext, Observation
from chanest.estimators.linear import PilotEstimator

__all__ = ["AdaptiveArrayEstimator"]

#: eigen-directions weaker than this fraction of the grid's mean power are dropped
_FLOOR = 1e-6


class AdaptiveArrayEstimator(PilotEstimator):
    """Grid-own spatial eigenbasis + ``lmmse-adaptive`` per eigen-direction (module doc).

    Args: those of :class:`~chanest.estimators.adaptive.AdaptiveLMMSEEstimator` (its bank).
    """

    def __init__(self, ctx: GridContext, device: str = "cpu", **bank):
        super().__init__(ctx, device)
        self.inner = AdaptiveLMMSEEstimator(ctx, device, **bank)

    def estimate(self, obs: Observation) -> Estimate:
        """Shapes [B, A, S, F]; a single antenna reduces to ``lmmse-adaptive``."""
        z, no = self._front(obs)  # [B, A, P], [B]
        B, A, P = z.shape
        u, lam = self._eigenbasis(z, no)  # [B, A, A] complex64, [B, A] float64
        root = lam.sqrt().float()  # [B, A]
        z_n = (u.conj().transpose(1, 2) @ z) / root[..., None]  # [B, A, P] normalised
        no_n = no[:, None].double() / lam  # [B, A]
        idx, w = self.inner._top(self.inner.log_posterior(z, no))  # [B, k] each
        h_n, e_n = self._mixture(z_n, no_n, idx, w)  # [B, A, N] each
        S, F = self.ctx.mask.shape
        h = (u @ (h_n * root[..., None])).reshape(B, A, S, F)
        err = (u.abs() ** 2 @ (e_n * lam.float()[..., None])).reshape(B, A, S, F)
        return Estimate(h, err.contiguous())

    @staticmethod
    def _eigenbasis(z: torch.Tensor, no: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Eigenbasis U [B, A, A] and signal power λ [B, A] per direction of the grid's
        spatial covariance: the sample covariance Ŝ = Z Zᴴ / P shrunk towards μI with the
        Ledoit–Wolf weight α, less the noise: R̂_s = (1 − α) Ŝ + α μ I − no I, μ = tr Ŝ / A."""
        z = z.to(torch.complex128)
        B, A, P = z.shape
        cov = z @ z.conj().transpose(1, 2) / P  # [B, A, A]
        mu = torch.diagonal(cov, dim1=1, dim2=2).real.mean(-1)  # [B]
        eye = torch.eye(A, dtype=cov.dtype, device=cov.device)
        d2 = (cov - mu[:, None, None] * eye).abs().square().sum((1, 2))  # [B]
        fourth = z.abs().square().sum(1).square().sum(-1) / P**2  # [B]: Σ_p ‖z_p‖⁴ / P²
        b2 = torch.minimum((fourth - cov.abs().square().sum((1, 2)) / P).clamp_min(0.0), d2)
        alpha = torch.where(d2 > 0, b2 / d2.clamp_min(1e-300), torch.ones_like(d2))  # [B]
        sigma, u = torch.linalg.eigh(cov)
        sigma = (1 - alpha[:, None]) * sigma + (alpha * mu)[:, None]
        lam = (sigma - no.double()[:, None]).clamp_min(0.0)
        lam = torch.maximum(lam, _FLOOR * mu[:, None].clamp_min(1e-30))
        return u.to(torch.complex64), lam

    def _mixture(self, z_n: torch.Tensor, no_n: torch.Tensor, idx: torch.Tensor,
                 w: torch.Tensor):
        """Posterior-mean estimate and variance of every direction, the bank's posterior
        pooled over the directions of a grid. z_n [B, A, P], no_n [B, A] → [B, A, N] × 2."""
        B, A, P = z_n.shape
        bank, N = self.inner.bank, self.ctx.mask.size
        z_flat, no_flat = z_n.reshape(B * A, 1, P), no_n.reshape(B * A)
        h = torch.zeros(B, A, N, dtype=torch.complex64, device=self.device)
        h2 = torch.zeros(B, A, N, dtype=torch.float32, device=self.device)
        e = torch.zeros(B, A, N, dtype=torch.float32, device=self.device)
        used = set(torch.unique(idx).tolist())
        bank.trim(keep=used)
        for g in used:
            rows, slots = torch.nonzero(idx == g, as_tuple=True)  # grids using prior g
            flat = (rows[:, None] * A + torch.arange(A, device=rows.device)).reshape(-1)
            hg, eg = bank.apply(g, z_flat[flat], no_flat[flat])  # [n·A, 1, N], [n·A, N]
            wg = w[rows, slots].float()[:, None, None]  # [n, 1, 1]
            hg = hg.reshape(len(rows), A, N)
            h.index_add_(0, rows, hg * wg)
            h2.index_add_(0, rows, hg.abs().square() * wg)
            e.index_add_(0, rows, eg.reshape(len(rows), A, N) * wg)
        return h, e + (h2 - h.abs().square()).clamp_min(0.0)

    def bytes_per_grid(self) -> int:
        return self.inner.bytes_per_grid()

    def provenance(self) -> dict:
        inner = self.inner.provenance()
        return {"statistics": "each grid's own spatial eigenbasis from its pilots; per "
                              "eigen-direction " + inner["statistics"],
                "err_var": "posterior variance per eigen-direction, rotated back "
                           "(eigenbasis taken as known)"}
