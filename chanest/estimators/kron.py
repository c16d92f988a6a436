"""``lmmse-kron``: joint space–time–frequency LMMSE for Kronecker statistics R_s ⊗ R_tf.

With an array of A antennas whose channel covariance factors as R = R_s ⊗ R_tf (R_s [A, A]
across antennas, R_tf the 2-D time–frequency covariance), the joint LMMSE over all A·P
pilots decouples in the eigenbases R_s = U Λ Uᴴ and R_tf,pp = Q M Qᴴ (the pilot block)::

    z̃ = Uᴴ Z                        (rotate the antennas; the noise stays white)
    ĥ̃_a = R_tf,hp Q diag(λ_a / (λ_a μ_i + no)) Qᴴ z̃_a           (one 2-D filter per λ_a)
    ĥ = U ĥ̃
    err[a', n] = Σ_a |U[a', a]|² (λ_a R_tf,nn − Σ_i |(R_tf,hp Q)[n, i]|² λ_a² / (λ_a μ_i + no))

for any pilot pattern (the pilots of every antenna at the same REs), without an (A·S·F)²
or (A·P)² matrix: per grid O(A²P + AP² + A·P·S·F). This is the exact MMSE estimate when the
channel is Gaussian with that covariance, and ``err_var`` its exact posterior variance.

Statistics: nominal R_tf from the scenario's profiles with R_s = I (independent antennas:
then this is the per-antenna 2-D LMMSE), or all fitted from training channels with
:meth:`fit` (``--fit-data``): R_s as the sample spatial covariance (averaged over the grid),
R_tf as the Ledoit–Wolf-shrunk sample pilot blocks of :func:`fit_prior`, pooled over antennas.
"""

from __future__ import annotations

import torch

from chanest.estimators.base import Estimate, GridContext, Observation
from chanest.estimators.linear import PilotEstimator, nominal_prior
from chanest.estimators.statistics import PriorBlocks, fit_prior
from chanest.schema import ConfigError

__all__ = ["KroneckerLMMSEEstimator", "spatial_covariance"]

C128, F64 = torch.complex128, torch.float64


def spatial_covariance(dataset, device: str = "cpu", batch_size: int = 256) -> torch.Tensor:
    """Sample spatial covariance of training channels, [A, A] complex128, normalised to a
    mean diagonal of 1 (the power lives in R_tf)."""
    acc, n = None, 0
    for batch in dataset.iter_batches(batch_size, device):
        h = batch.h.to(C128).flatten(2)  # [B, A, N]
        term = torch.einsum("ban,bcn->ac", h, h.conj())
        acc = term if acc is None else acc + term
        n += h.shape[0] * h.shape[2]
    if acc is None:
        raise ConfigError("fit: the training dataset is empty")
    r = acc / n
    return r / torch.diagonal(r).real.mean()


class KroneckerLMMSEEstimator(PilotEstimator):
    """Joint LMMSE over antennas, symbols and subcarriers for R_s ⊗ R_tf (module docstring)."""

    def __init__(self, ctx: GridContext, device: str = "cpu"):
        super().__init__(ctx, device)
        self._tf: PriorBlocks | None = None
        self._rs: torch.Tensor | None = None  # [A, A]; None: independent antennas
        self._cache: dict | None = None
        self._fitted_on = ""

    # -- statistics -----------------------------------------------------------
    def fit(self, dataset) -> KroneckerLMMSEEstimator:
        """R_s and R_tf from training channels (module docstring), read in batches whose
        complex128 copies stay under ``memory_bytes``."""
        first = next(iter(dataset.iter_batches(1, "cpu")), None)
        if first is None:
            raise ConfigError("fit: the training dataset is empty")
        grid_bytes = 4 * 16 * first.h[0].numel()  # a few complex128 copies of one grid
        size = int(max(1, min(512, self.memory_bytes // grid_bytes)))
        self._rs = spatial_covariance(dataset, batch_size=size)
        self._tf = fit_prior(dataset, self.ctx.pilot_idx, batch_size=size)
        self._fitted_on = self._tf.description
        self._cache = None
        return self

    def _stats(self, num_antennas: int) -> tuple[torch.Tensor, PriorBlocks]:
        tf = self._tf if self._tf is not None else nominal_prior(self.ctx)
        if tf is None:
            raise ConfigError(f"{self.name or 'lmmse-kron'}: no channel statistics in this "
                              "context; fit them from training data (--fit-data)")
        rs = self._rs if self._rs is not None else torch.eye(num_antennas, dtype=C128)
        if rs.shape[0] != num_antennas:
            raise ConfigError(f"{self.name or 'lmmse-kron'}: fitted for {rs.shape[0]} antennas, "
                              f"the data has {num_antennas}")
        return rs, tf

    def _prepare(self, num_antennas: int) -> dict:
        if self._cache is not None and self._cache["A"] == num_antennas:
            return self._cache
        rs, tf = self._stats(num_antennas)
        lam, u = torch.linalg.eigh(rs.to(C128))  # [A], [A, A]
        mu, q = torch.linalg.eigh(tf.r_pp.to(C128))  # [P], [P, P]
        g = tf.r_hp.to(C128) @ q  # [N, P]: R_tf,hp Q
        dev = self.device
        self._cache = {"A": num_antennas,
                       "lam": lam.clamp_min(0.0).to(dev), "u": u.to(torch.complex64).to(dev),
                       "mu": mu.clamp_min(0.0).to(dev),
                       "qh": q.conj().T.to(torch.complex64).to(dev),
                       "gt": g.T.to(torch.complex64).contiguous().to(dev),  # [P, N]
                       "g2t": (g.abs() ** 2).T.float().contiguous().to(dev),  # [P, N]
                       "diag": tf.r_diag.float().to(dev)}
        return self._cache

    # -- inference --------------------------------------------------------------
    def estimate(self, obs: Observation) -> Estimate:
        """ĥ and its posterior variance for every antenna; shapes [B, A, S, F]."""
        z, no = self._front(obs)  # [B, A, P], [B]
        B, A, _ = z.shape
        c = self._prepare(A)
        u, lam, mu = c["u"], c["lam"].float(), c["mu"].float()
        zt = torch.einsum("ka,bkp->bap", u.conj(), z)  # [B, A, P]: Uᴴ Z
        coef = zt @ c["qh"].T  # [B, A, P]: Qᴴ z̃_a
        denom = lam[None, :, None] * mu[None, None, :] + no[:, None, None]  # [B, A, P]
        d = lam[None, :, None] / denom
        ht = (coef * d) @ c["gt"]  # [B, A, N]
        h = torch.einsum("ka,ban->bkn", u, ht)  # [B, A, N]
        e_eig = lam[None, :, None] * c["diag"] - (lam[None, :, None] * d) @ c["g2t"]  # [B,A,N]
        err = torch.einsum("ka,ban->bkn", u.abs() ** 2, e_eig.clamp_min(0.0))
        S, F = self.ctx.mask.shape
        return Estimate(h.reshape(B, A, S, F), err.reshape(B, A, S, F).contiguous())

    def bytes_per_grid(self) -> int:
        # a few [A, N] complex64 planes per antenna (the caller multiplies by A)
        return 8 * 8 * self.ctx.mask.size

    def provenance(self) -> dict:
        space = "sample spatial covariance" if self._rs is not None else \
            "independent antennas (R_s = I)"
        tf = self._fitted_on or "the scenario's nominal t-f statistics"
        return {"statistics": f"R_s: {space}; R_tf: {tf}",
                "err_var": "exact posterior variance under R_s ⊗ R_tf"}
