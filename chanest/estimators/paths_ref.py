"""``genie-paths``: the LMMSE with each grid's own propagation paths — a reference.

A geometric channel is h = Σ_k e^{jΦ_k} v_k with v_k = g_k ⊗ d(ν_k) ⊗ e(τ_k) (path k's
response over antennas, its Doppler over symbols and its delay over subcarriers; see
:mod:`chanest.channels.paths`). With the phases unknown and uniform, the covariance given
the paths is R = V Vᴴ (V = [v_1 … v_K]), and the LMMSE estimate from the LS pilots z is

    ĥ = V c,   c = (V_pᴴ V_p + no I)⁻¹ V_pᴴ z,

solved in the K path dimensions (a Cholesky factor); V_p are the rows of V at the pilots.
Its error covariance in the path domain is Σ_c = no (V_pᴴ V_p + no I)⁻¹, and ``err_var``
is the grid's mean posterior variance tr(Σ_c VᴴV) / (A·S·F) on every RE
(VᴴV has the closed form (g_kᴴg_l)(Σ_s e^{j2π(ν_l−ν_k)t_s})(Σ_f e^{−j2π(τ_l−τ_k)f})).

The channel given its paths is a sum of K unit phasors, not Gaussian, so this is *not* an
MMSE bound: it is a reference that knows what no receiver knows (the paths), labelled so.
It reads the paths from the side information a dataset stores with ``channel.paths``.
"""

from __future__ import annotations

import math

import torch

from chanest.estimators.base import Estimate, GridContext, Observation
from chanest.estimators.linear import PilotEstimator
from chanest.schema import ConfigError

__all__ = ["PathsReferenceEstimator"]

C128 = torch.complex128


class PathsReferenceEstimator(PilotEstimator):
    """Per-grid LMMSE with the grid's own paths (module docstring); a reference by its
    catalog role."""

    def __init__(self, ctx: GridContext, device: str = "cpu"):
        super().__init__(ctx, device)
        pidx = torch.as_tensor(ctx.pilot_idx, device=device)
        S, F = ctx.mask.shape
        self._t = torch.as_tensor(ctx.times, dtype=torch.float64, device=device)  # [S]
        self._f = torch.as_tensor(ctx.freqs, dtype=torch.float64, device=device)  # [F]
        self._s_p, self._f_p = pidx // F, pidx % F

    def estimate(self, obs: Observation) -> Estimate:
        paths = getattr(obs.side, "paths", None) if obs.side is not None else None
        if paths is None:
            raise ConfigError(f"{self.name or 'genie-paths'}: the data carries no propagation "
                              "paths (simulate a cdl/umi/uma/rma/site scenario with channel.paths: "
                              "true)")
        z, no = self._front(obs)  # [B, A, P], [B]
        B, A, _ = z.shape
        S, F = self.ctx.mask.shape
        h = torch.empty(B, A, S, F, dtype=torch.complex64, device=self.device)
        err = torch.empty(B, A, S, F, dtype=torch.float32, device=self.device)
        for i in range(B):
            h[i], e = self._one(z[i], float(no[i]), paths.gain[i].to(self.device),
                                paths.doppler[i].to(self.device), paths.delay[i].to(self.device))
            err[i] = e
        return Estimate(h, err)

    def _one(self, z, no, g, nu, tau):
        """One grid: z [A, P], g [K, A], ν [K], τ [K] → (ĥ [A, S, F], mean error).

        Each path is g_k ⊗ w_k (w_k its response over the pilot REs), so the pilot Gram
        matrix is (GGᴴ)∘(WWᴴ)-shaped: K²(A + P) instead of K²·A·P."""
        keep = g.abs().amax(-1) > 0  # padding has zero gain
        g, nu, tau = g[keep].to(C128), nu[keep].double(), tau[keep].double()
        dop = torch.exp(2j * math.pi * nu[:, None] * self._t)  # [K, S]
        dly = torch.exp(-2j * math.pi * tau[:, None] * self._f)  # [K, F]
        w = dop[:, self._s_p] * dly[:, self._f_p]  # [K, P]
        no = max(no, 1e-12)
        gram = (g.conj() @ g.T) * (w.conj() @ w.T)  # [K, K] = V_pᴴ V_p
        rhs = ((g.conj() @ z.to(C128)) * w.conj()).sum(-1)  # [K] = V_pᴴ z
        eye = torch.eye(len(g), dtype=C128, device=g.device)
        chol = torch.linalg.cholesky(gram + no * eye)
        c = torch.cholesky_solve(rhs[:, None], chol)[:, 0]  # [K]
        h = torch.einsum("ka,k,ks,kf->asf", g, c, dop, dly)  # [A, S, F]
        vhv = (g.conj() @ g.T) * (dop.conj() @ dop.T) * (dly.conj() @ dly.T)  # full-grid Gram
        # tr(Σ_c VᴴV) with Σ_c = no (V_pᴴV_p + no I)⁻¹
        trace = no * torch.diagonal(torch.cholesky_solve(vhv, chol)).sum().real
        mean_err = float(trace) / (g.shape[1] * dop.shape[1] * dly.shape[1])
        return h.to(torch.complex64), torch.full(h.shape, max(mean_err, 0.0))

    def bytes_per_grid(self) -> int:
        return 64 * self.ctx.mask.size

    def provenance(self) -> dict:
        return {"statistics": "each grid's own propagation paths (gains, Dopplers, delays; "
                              "phases unknown): a reference, not a bound",
                "err_var": "the grid's mean posterior variance on every RE"}
