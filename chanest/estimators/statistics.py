"""Pilot blocks of a grid covariance, the MSE of a linear estimator, and fitted statistics.

Every pilot-based linear estimator sees the LS pilot vector ``z = h_p + n``
(unit-modulus pilots, n ~ CN(0, no·I)) and forms ``ĥ = W z``. Its error
covariance under a prior R depends only on three blocks of R::

    E = R − W R_ph − R_hp W^H + W (R_pp + no·I) W^H,
    diag E = bias + no · gain,
    bias_i = R_ii − 2 Re(W_i · conj(R_hp,i)) + Re((W R_pp)_i · conj(W_i)),
    gain_i = ‖W_i‖².

:class:`PriorBlocks` holds (R_hp, R_pp, diag R); they come from a parametric
model (:func:`kron_blocks`) or from training channels (:func:`fit_prior`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from chanest.estimators.covmodels import LagCov, toeplitz

__all__ = ["PriorBlocks", "kron_blocks", "lagcov_blocks", "linear_map_error", "fit_prior"]

F64, C128 = torch.float64, torch.complex128


@dataclass
class PriorBlocks:
    """Blocks of a grid covariance R (leading group dims optional).

    Attributes:
        r_hp: [..., N, P] complex128, R[:, pilots].
        r_pp: [..., P, P] complex128, R[pilots][:, pilots].
        r_diag: [..., N] float64, diag R.
        description: what statistics these are (for provenance).
    """

    r_hp: torch.Tensor
    r_pp: torch.Tensor
    r_diag: torch.Tensor
    description: str = ""
    #: (α, μ) when these blocks are a shrinkage (1−α)·R̂ + αμ·I of sample moments R̂
    shrinkage: tuple[float, float] | None = None


def kron_blocks(t_lags: torch.Tensor, f_lags: torch.Tensor, pilot_idx,
                weights: torch.Tensor | None = None) -> PriorBlocks:
    """Blocks of R = r_t ⊗ r_f for G parameter sets (or their weighted mixture).

    Args:
        t_lags: [G, 2S−1], f_lags: [G, 2F−1] complex128 lags.
        pilot_idx: [P] flat row-major pilot indices.
        weights: optional [G] mixture weights; if given, the blocks are summed.

    Returns:
        blocks with shapes [G, N, P], [G, P, P], [G, N] (no G if ``weights``).
    """
    S, F = (t_lags.shape[-1] + 1) // 2, (f_lags.shape[-1] + 1) // 2
    dev = t_lags.device
    pidx = torch.as_tensor(pilot_idx, device=dev)
    s_p, f_p = pidx // F, pidx % F
    t_cols = toeplitz(t_lags, torch.arange(S, device=dev), s_p)  # [G, S, P]
    f_cols = toeplitz(f_lags, torch.arange(F, device=dev), f_p)  # [G, F, P]
    G, P = t_cols.shape[0], len(pidx)
    r_hp = (t_cols[:, :, None, :] * f_cols[:, None, :, :]).reshape(G, S * F, P)  # [G, N, P]
    r_pp = r_hp[:, pidx, :]  # [G, P, P]
    power = (t_lags[:, S - 1] * f_lags[:, F - 1]).real  # [G]
    r_diag = power[:, None].expand(-1, S * F)  # [G, N]
    if weights is None:
        return PriorBlocks(r_hp, r_pp, r_diag.contiguous())
    w = weights.to(dev)
    return PriorBlocks(torch.einsum("g,gnp->np", w.to(C128), r_hp),
                       torch.einsum("g,gpq->pq", w.to(C128), r_pp),
                       torch.einsum("g,gn->n", w.to(F64), r_diag))


def lagcov_blocks(cov: LagCov, pilot_idx) -> PriorBlocks:
    """Blocks of a :class:`LagCov` mixture: [N, P], [P, P], [N]."""
    blocks = kron_blocks(cov.t_lags, cov.f_lags, pilot_idx, cov.weights)
    blocks.description = cov.description
    return blocks


def linear_map_error(w: torch.Tensor, prior: PriorBlocks,
                     rows_per_chunk: int = 8192) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-RE MSE of ĥ = W z under a prior: diag E = bias + no·gain (see module doc).

    Args:
        w: [N, P] complex linear map (cast to complex128).
        prior: blocks without group dims.

    Returns:
        bias: [N] float64 (clamped at 0), gain: [N] float64.
    """
    w = w.to(C128)
    bias, gain = [], []
    for lo in range(0, w.shape[0], rows_per_chunk):
        wc = w[lo:lo + rows_per_chunk]  # [n, P]
        cross = (wc * prior.r_hp[lo:lo + rows_per_chunk].conj()).sum(-1).real  # [n]
        quad = ((wc @ prior.r_pp) * wc.conj()).sum(-1).real  # [n]
        bias.append(prior.r_diag[lo:lo + rows_per_chunk] - 2.0 * cross + quad)
        gain.append((wc.abs() ** 2).sum(-1))
    return torch.cat(bias).clamp_min(0.0), torch.cat(gain)


def fit_prior(dataset, pilot_idx, device: str = "cpu", batch_size: int = 512) -> PriorBlocks:
    """Sample second moments of training channels with Ledoit–Wolf shrinkage.

    With x_k = h_p of training grid/link k (n of them) and S = (1/n) Σ x_k x_k^H,
    the shrinkage target is μI, μ = tr(S)/P, and the weight is
    α = min(1, b²/d²), d² = ‖S − μI‖²_F, b² = (1/n²)(Σ‖x_k‖⁴ − n‖S‖²_F)
    (Ledoit & Wolf 2004). The same shrinkage is applied to the whole grid
    covariance, R_s = (1−α) R̂ + αμI, whose blocks are returned. Channels are
    assumed zero-mean (second moments, not centred covariances).

    Args:
        dataset: object with ``iter_batches(batch_size, device)`` yielding batches with
            ``h [B, L, S, F]``; optional ``fingerprint``.
        pilot_idx: [P] flat pilot indices.

    Returns:
        :class:`PriorBlocks` ([N, P], [P, P], [N]).
    """
    pidx = torch.as_tensor(pilot_idx, device=device)
    s_hp = s_diag = None
    fourth, n = 0.0, 0
    for batch in dataset.iter_batches(batch_size, device):
        h = batch.h.reshape(-1, batch.h.shape[-2] * batch.h.shape[-1]).to(C128)  # [B·L, N]
        hp = h[:, pidx]  # [B·L, P]
        if s_hp is None:
            s_hp = h.T @ hp.conj()  # [N, P]
        else:
            s_hp.addmm_(h.T, hp.conj())  # in place: one [N, P] block in memory
        d = (h.abs() ** 2).sum(0)  # [N]
        s_diag = d if s_diag is None else s_diag + d
        fourth += float(((hp.abs() ** 2).sum(-1) ** 2).sum())
        n += h.shape[0]
    if n == 0:
        raise ValueError("the training dataset is empty")
    s_hp.div_(n)
    s_diag = s_diag / n
    s_pp = s_hp[pidx]  # [P, P] (a copy)
    P = s_pp.shape[0]
    mu = float(torch.diagonal(s_pp).real.mean())
    eye = torch.eye(P, dtype=C128, device=device)
    d2 = float((s_pp - mu * eye).abs().pow(2).sum())
    b2 = min(max((fourth - n * float(s_pp.abs().pow(2).sum())) / n ** 2, 0.0), d2)
    alpha = b2 / d2 if d2 > 0 else 1.0
    # (1 − α) S_hp + α μ I_hp, in place (the identity's [N, P] block is 1 at (pidx[j], j))
    s_hp.mul_(1 - alpha)
    s_hp[pidx, torch.arange(P, device=device)] += alpha * mu
    fp = getattr(dataset, "fingerprint", "")
    return PriorBlocks(s_hp,
                       (1 - alpha) * s_pp + alpha * mu * eye, (1 - alpha) * s_diag + alpha * mu,
                       description=f"fitted on {n} training links (dataset "
                                   f"{str(fp)[:12] or 'in memory'}), Ledoit-Wolf shrinkage "
                                   f"alpha={alpha:.3g}", shrinkage=(alpha, mu))
