"""``lmmse-full``: joint LMMSE over antennas, symbols and subcarriers with a fitted,
non-separable covariance, shrunk toward its Kronecker approximation.

A Kronecker model R = R_s ⊗ R_tf (``lmmse-kron``) assumes that every antenna sees the same
delay/Doppler profile. Channels made of clusters do not: each cluster has its own angle
*and* its own delay, so space and frequency are coupled, and on CDL the Kronecker model
loses up to 3 dB to the full covariance. This estimator fits the full second moments from
training channels (``--fit-data``), with x = h at the A·P pilot REs (antenna-major) and
h the whole grid of all antennas::

    Ŝ_pp = E[x xᴴ]  [A·P, A·P],    Ŝ_hp = E[h xᴴ]  [A·N, A·P],    N = S·F,

and shrinks them toward the Kronecker moments T = R̂_s ⊗ R̂_tf estimated from the same
channels (R̂_s over the pilot REs with a mean diagonal of 1, R̂_tf pooled over antennas)::

    R_pp = (1−α) Ŝ_pp + α T_pp,    R_hp = (1−α) Ŝ_hp + α T_hp.

α is chosen from a fixed list by the denoising error at the pilots on a held-out fifth of
the training grids (noise drawn at the scenario's SNRs, the mean over SNRs in dB), then
the moments of all training grids are used. With few training grids α moves toward the
Kronecker model, with many toward the sample covariance.

Estimate, in the eigenbasis R_pp = Q diag(λ) Qᴴ and with G = R_hp Q precomputed::

    ĥ = G diag(1/(λ + no)) Qᴴ z,     err = diag R_hh − Σ_i |G[:, i]|² / (λ_i + no)

(the exact LMMSE and its posterior variance under the fitted covariance), per grid
O((A·P)² + A·N·A·P) operations with no (A·N)² matrix. The fit holds an [A·N, A·P] matrix,
refused above ``max_gb`` (use ``lmmse-kron`` for arrays that large).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from chanest.estimators.base import Estimate, GridContext, Observation
from chanest.estimators.linear import PilotEstimator
from chanest.schema import ConfigError

__all__ = ["FullLMMSEEstimator", "SHRINKAGE_GRID"]

C128 = torch.complex128
#: the shrinkage weights α tried toward the Kronecker model
SHRINKAGE_GRID = (0.0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0)
_HELD_OUT_SNR_DB = (0.0, 10.0, 20.0, 30.0)


class _Moments:
    """Running sums of the full and pooled second moments of training channels."""

    def __init__(self, pidx: torch.Tensor):
        self.pidx, self.n = pidx, 0
        self.hp = self.diag = None

    def add(self, h: torch.Tensor) -> None:
        """h: [B, A, N] complex128 channels."""
        B, A, _ = h.shape
        x = h[:, :, self.pidx].reshape(B, -1)  # [B, A·P]
        term = h.reshape(B, -1).T @ x.conj()  # [A·N, A·P]
        d = (h.abs() ** 2).sum(0).reshape(-1)  # [A·N]
        self.hp = term if self.hp is None else self.hp + term
        self.diag = d if self.diag is None else self.diag + d
        self.n += B

    def blocks(self, A: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Sample moments (S_hp [A·N, A·P], S_pp [A·P, A·P], diag [A·N])."""
        s_hp, diag = self.hp / self.n, self.diag / self.n
        N = len(diag) // A
        rows = (torch.arange(A, device=s_hp.device)[:, None] * N + self.pidx[None]).reshape(-1)
        return s_hp, s_hp[rows], diag

    def factors(self, blocks) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """R̂_s [A, A] (over the pilot REs, mean diagonal 1), and R̂_tf's pilot columns
        [N, P] and diagonal [N] pooled over antennas, from :meth:`blocks`."""
        s_hp, s_pp, diag = blocks
        P = len(self.pidx)
        A = s_pp.shape[0] // P
        N = len(diag) // A
        rs = torch.einsum("apcp->ac", s_pp.reshape(A, P, A, P)) / P
        rs = rs / torch.diagonal(rs).real.mean()
        tf_hp = torch.einsum("anap->np", s_hp.reshape(A, N, A, P)) / A
        return rs, tf_hp, diag.reshape(A, N).mean(0)

    def kronecker(self, A: int, blocks=None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The Kronecker moments R̂_s ⊗ R̂_tf of the same sums, shaped like :meth:`blocks`
        (``blocks``: those of :meth:`blocks`, if already computed)."""
        rs, tf_hp, tf_diag = self.factors(blocks or self.blocks(A))
        return (torch.kron(rs, tf_hp), torch.kron(rs, tf_hp[self.pidx]),
                torch.kron(torch.diagonal(rs).real.contiguous(), tf_diag))


def _pilot_error_db(r_pp: torch.Tensor, x: torch.Tensor, gen: torch.Generator) -> float:
    """Mean over :data:`_HELD_OUT_SNR_DB` of the NMSE [dB] of the LMMSE denoiser of R_pp on
    held-out pilot channels x [n, A·P] observed in white noise."""
    lam, q = torch.linalg.eigh(r_pp)
    lam = lam.clamp_min(0.0)
    power = float((x.abs() ** 2).sum(-1).mean())
    out = []
    for snr in _HELD_OUT_SNR_DB:
        no = 10.0 ** (-snr / 10.0) * power / x.shape[1]
        noise = torch.randn(x.shape, generator=gen, dtype=torch.float64)
        noise = (noise + 1j * torch.randn(x.shape, generator=gen, dtype=torch.float64))
        z = x + math.sqrt(no / 2) * noise.to(C128)
        coef = (z @ q.conj()) * (lam / (lam + no))  # Qᴴ z, shrunk
        err = float(((coef @ q.T - x).abs() ** 2).sum(-1).mean())
        out.append(10 * math.log10(err / power))
    return float(np.mean(out))


class FullLMMSEEstimator(PilotEstimator):
    """Joint space–time–frequency LMMSE with a fitted full covariance (module docstring).

    Args:
        max_gb: largest fitted cross-covariance [A·N, A·P] (complex128) accepted.
        shrinkage: a fixed α in [0, 1] instead of the held-out choice.
    """

    def __init__(self, ctx: GridContext, device: str = "cpu", max_gb: float = 2.0,
                 shrinkage: float | None = None):
        super().__init__(ctx, device)
        if not max_gb > 0:
            raise ConfigError(f"lmmse-full: max_gb must be > 0, got {max_gb}")
        if shrinkage is not None and not 0.0 <= shrinkage <= 1.0:
            raise ConfigError(f"lmmse-full: shrinkage must be in [0, 1], got {shrinkage}")
        self.max_gb, self.fixed_alpha = float(max_gb), shrinkage
        self.alpha: float | None = None
        self.scores: dict[float, float] = {}
        self._filter: dict | None = None
        self._fitted_on = ""

    # -- statistics -------------------------------------------------------------
    def _check_size(self, A: int) -> None:
        N, P = self.ctx.mask.size, len(self.ctx.pilot_idx)
        gb = A * N * A * P * 16 / 1e9
        if gb > self.max_gb:
            raise ConfigError(f"lmmse-full: the fitted covariance of {A} antennas x {N} REs x "
                              f"{P} pilots needs {gb:.1f} GB (max_gb={self.max_gb:g}); use "
                              "lmmse-kron for arrays and grids this large")

    def fit(self, dataset) -> FullLMMSEEstimator:
        pidx = torch.as_tensor(self.ctx.pilot_idx)
        train, held = _Moments(pidx), []
        num_antennas = None
        for batch in dataset.iter_batches(256, "cpu"):
            h = batch.h.flatten(2).to(C128)  # [B, A, N]
            if num_antennas is None:
                num_antennas = h.shape[1]
                self._check_size(num_antennas)
            keep = torch.arange(train.n + sum(len(x) for x in held),
                                train.n + sum(len(x) for x in held) + len(h)) % 5 == 4
            held.append(h[keep])
            if (~keep).any():
                train.add(h[~keep])
        if num_antennas is None or train.n == 0:
            raise ConfigError("lmmse-full: the training dataset is empty", arg="fit-data")
        A = num_antennas
        held_h = torch.cat(held)
        if self.fixed_alpha is not None or len(held_h) == 0:
            self.alpha = 0.5 if self.fixed_alpha is None else self.fixed_alpha
        else:
            blocks = train.blocks(A)
            rs, tf_hp, _ = train.factors(blocks)
            s_pp, t_pp = blocks[1], torch.kron(rs, tf_hp[pidx])  # pilot blocks only
            x = held_h[:, :, pidx].reshape(len(held_h), -1)
            gen = torch.Generator().manual_seed(0)
            self.scores = {a: _pilot_error_db((1 - a) * s_pp + a * t_pp, x, gen)
                           for a in SHRINKAGE_GRID}
            self.alpha = min(self.scores, key=self.scores.get)
        if len(held_h):
            train.add(held_h)
        self._set_filter(train, A)
        fp = getattr(dataset, "fingerprint", "")
        self._fitted_on = (f"fitted on {train.n} training grids (dataset "
                           f"{str(fp)[:12] or 'in memory'}), shrinkage alpha={self.alpha:g} "
                           "toward R_s x R_tf")
        return self

    def _set_filter(self, moments: _Moments, A: int) -> None:
        a = self.alpha
        blocks = moments.blocks(A)
        (s_hp, s_pp, s_d), (t_hp, t_pp, t_d) = blocks, moments.kronecker(A, blocks)
        r_hp, r_pp, r_d = ((1 - a) * s + a * t for s, t in ((s_hp, t_hp), (s_pp, t_pp),
                                                            (s_d, t_d)))
        lam, q = torch.linalg.eigh(r_pp)
        g = r_hp @ q  # [A·N, A·P]
        dev = self.device
        self._filter = {"A": A, "lam": lam.clamp_min(0.0).float().to(dev),
                        "qc": q.conj().to(torch.complex64).to(dev),  # z @ qc = (Qᴴ z)ᵀ
                        "gt": g.T.to(torch.complex64).contiguous().to(dev),  # [A·P, A·N]
                        "g2t": (g.abs() ** 2).T.float().contiguous().to(dev),
                        "diag": r_d.real.float().to(dev)}

    # -- inference --------------------------------------------------------------
    def estimate(self, obs: Observation) -> Estimate:
        """ĥ and its posterior variance for every antenna; shapes [B, A, S, F]."""
        if self._filter is None:
            raise ConfigError("lmmse-full: no statistics; fit them from training data "
                              "(--fit-data)")
        z, no = self._front(obs)  # [B, A, P], [B]
        B, A, _ = z.shape
        f = self._filter
        if A != f["A"]:
            raise ConfigError(f"lmmse-full: fitted for {f['A']} antennas, the data has {A}")
        inv = 1.0 / (f["lam"][None, :] + no[:, None])  # [B, A·P]
        coef = (z.reshape(B, -1) @ f["qc"]) * inv
        h = coef @ f["gt"]  # [B, A·N]
        err = (f["diag"][None, :] - inv @ f["g2t"]).clamp_min(0.0)
        S, F = self.ctx.mask.shape
        return Estimate(h.reshape(B, A, S, F), err.reshape(B, A, S, F).contiguous())

    def bytes_per_grid(self) -> int:
        return 8 * 4 * self.ctx.mask.size

    def provenance(self) -> dict:
        return {"statistics": self._fitted_on or "none (not fitted)",
                "shrinkage_scores_db": {str(k): round(v, 3) for k, v in self.scores.items()},
                "err_var": "exact posterior variance under the fitted covariance"}
