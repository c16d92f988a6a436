"""Separable LMMSE: 1-D LMMSE filtering along frequency, then time (or the reverse).

With the separable prior R ≈ R_t ⊗ R_f (the marginals of the nominal mixture),
each pass filters every line (a symbol for the frequency pass, a subcarrier for the
time pass) that holds estimates, using only those estimates::

    ĥ_line = R[:, v] (R[v, v] + diag σ²_v)^{-1} ĥ_v

where v are the line's positions holding an estimate and σ²_v their error
variances (no at the pilots; for the second pass, the first pass's predicted error
diag(R − A R[v, :]), treated as white). After the first pass every position of a
processed line holds an estimate; the second pass fills the rest. The composition
of the two passes is a fixed [N, P] map for each noise level, precomputed (float64)
and cached (see :mod:`chanest.estimators.linear`); ``err_var`` is the exact MSE of
that map under the nominal statistics (no diagonal-error approximation).

Unlike Sionna's ``LMMSEChannelEstimator`` there is no variance-rescaling step
between the passes; ``lmmse-sionna`` wraps Sionna's own implementation.
"""

from __future__ import annotations

import torch

from chanest.estimators._linalg import solve
from chanest.estimators.base import GridContext
from chanest.estimators.covmodels import nominal_covariance
from chanest.estimators.linear import LinearFilterEstimator
from chanest.schema import ConfigError

__all__ = ["filter_pass", "separable_weights", "SeparableLMMSEEstimator"]

C128 = torch.complex128


def filter_pass(m: torch.Tensor, valid: torch.Tensor, noise: torch.Tensor,
                r: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One 1-D LMMSE pass along the inner axis of every line that holds estimates.

    Args:
        m: [O, I, P] complex128 current linear map (estimate at each position as a
            combination of the P LS pilots).
        valid: [O, I] bool, positions holding an estimate.
        noise: [O, I] float64 error variance of those estimates.
        r: [I, I] complex128 covariance along the inner axis.

    Returns:
        (m, valid, noise) after the pass, same shapes.
    """
    m, valid, noise = m.clone(), valid.clone(), noise.clone()
    diag = torch.diagonal(r).real  # [I]
    lines = torch.nonzero(valid.any(1)).squeeze(1)
    patterns, which = torch.unique(valid[lines], dim=0, return_inverse=True)
    for k, pattern in enumerate(patterns):  # lines sharing a pattern: one batched solve
        o = lines[which == k]  # [n]
        v = torch.nonzero(pattern).squeeze(1)  # [K]
        r_v = r[:, v]  # [I, K]
        gram = r_v[v] + torch.diag_embed(noise[o][:, v].to(C128))  # [n, K, K]
        a = solve(gram, r_v.T.conj().expand(len(o), -1, -1)).mH  # [n, I, K]
        m[o] = a @ m[o][:, v]  # [n, I, P]
        noise[o] = (diag - (a * r_v.conj()).sum(-1).real).clamp_min(0.0)
        valid[o] = True
    return m, valid, noise


def separable_weights(mask, r_t: torch.Tensor, r_f: torch.Tensor, no: float,
                      order: str = "f-t") -> torch.Tensor:
    """Composite map of the two passes.

    Args:
        mask: [S, F] bool pilot mask.
        r_t: [S, S] (unit diagonal), r_f: [F, F] (carries the power) complex128.
        order: ``"f-t"`` (frequency first) or ``"t-f"``.

    Returns:
        [S·F, P] complex128.
    """
    mask_t = torch.as_tensor(mask)
    S, F = mask_t.shape
    pidx = torch.nonzero(mask_t.reshape(-1)).squeeze(1)
    P = len(pidx)
    m = torch.zeros(S * F, P, dtype=C128)
    m[pidx, torch.arange(P)] = 1.0
    m = m.reshape(S, F, P)  # [S, F, P]
    noise = torch.where(mask_t, no, 0.0).to(torch.float64)  # [S, F]
    power = float(r_f[0, 0].real)
    r_time = r_t * power  # per-subcarrier covariance along time
    valid = mask_t.clone()
    for axis in order.split("-"):
        if axis == "f":
            m, valid, noise = filter_pass(m, valid, noise, r_f)
        else:  # time pass on the transposed layout [F, S, P]
            m, valid, noise = (x.transpose(0, 1) for x in filter_pass(
                m.transpose(0, 1), valid.T, noise.T, r_time))
    return m.reshape(S * F, P)


class SeparableLMMSEEstimator(LinearFilterEstimator):
    """Frequency-then-time (``f-t``) or time-then-frequency (``t-f``) LMMSE, precomputed."""

    noise_dependent = True

    def __init__(self, ctx: GridContext, device: str = "cpu", order: str = "f-t",
                 cache_mb: float = 256.0):
        super().__init__(ctx, device, cache_mb)
        if order not in ("f-t", "t-f"):
            raise ConfigError(f"lmmse-separable: order must be 'f-t' or 't-f', got {order!r}")
        self.order = order
        cov = nominal_covariance(ctx, "average")
        self.design = f"separable marginals of the {cov.description}"
        self._r_t, self._r_f = cov.marginals()

    def weights(self, no: float) -> torch.Tensor:
        return separable_weights(self.ctx.mask, self._r_t, self._r_f, no, self.order)

    def provenance(self) -> dict:
        return {"design": self.design, "order": self.order, **super().provenance()}
