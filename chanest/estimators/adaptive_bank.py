"""Filter banks of ``lmmse-adaptive``: many unit-power priors R_g = r_t,g ⊗ r_f,g, each
applied in its eigen form (see :mod:`chanest.estimators.lmmse`)::

    w = Q_g^H z,   ĥ_g = A_g diag(1/(λ_g + no)) w,   diag E_g = 1 − Σ_k |A_g,ik|²/(λ_g,k + no)

with R_pp,g = Q_g Λ_g Q_g^H and A_g = R_hp,g Q_g. Two implementations, one interface:

* :class:`KroneckerBank` when the pilots are a product set (the same subcarriers on every
  pilot symbol: block, comb-in-time, Kronecker, NR DM-RS). Then R_pp,g = R_t,pp ⊗ R_f,pp,
  so Q_g = Q_t ⊗ Q_f, λ_g = λ_t ⊗ λ_f and A_g = A_t ⊗ A_f: every operation is a pair of
  small matrix products per grid, built from one eigendecomposition per distinct delay
  and per distinct Doppler (624×14 DM-RS: 312×312 and 2×2 instead of 624×624 per prior).
* :class:`DenseBank` otherwise: one [P, P] eigendecomposition per prior, and [P, N]
  filters built on first use and kept in an LRU cache under ``cache_mb``.

Both take the distinct time and frequency lags and, per prior, the index of each.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import torch

from chanest.estimators._linalg import eigh
from chanest.estimators.covmodels import toeplitz
from chanest.estimators.statistics import kron_blocks

__all__ = ["product_pilots", "KroneckerBank", "DenseBank", "make_bank"]

C64, F64 = torch.complex64, torch.float64


def product_pilots(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(pilot symbols, pilot subcarriers) if the mask is their product set, else None."""
    rows = np.flatnonzero(mask.any(axis=1))
    if len(rows) == 0:
        return None
    cols = np.flatnonzero(mask[rows[0]])
    if all(np.array_equal(np.flatnonzero(mask[r]), cols) for r in rows):
        return rows, cols
    return None


class KroneckerBank:
    """Bank for product pilot sets (module docstring).

    Args:
        t_lags: [D, 2S−1], f_lags: [T, 2F−1] distinct lags (complex128).
        t_idx, f_idx: [G] index of each prior's time and frequency factor.
        pilots: (pilot symbols [Sp], pilot subcarriers [Fp]).
    """

    def __init__(self, t_lags, f_lags, t_idx, f_idx, pilots, device: str = "cpu"):
        sp, fp = (torch.as_tensor(p) for p in pilots)
        S, F = (t_lags.shape[-1] + 1) // 2, (f_lags.shape[-1] + 1) // 2
        self.shape_p = (len(sp), len(fp))
        lt, qt = eigh(toeplitz(t_lags, sp, sp))  # [D, Sp], [D, Sp, Sp]
        lf, qf = eigh(toeplitz(f_lags, fp, fp))  # [T, Fp], [T, Fp, Fp]
        at_t = toeplitz(t_lags, torch.arange(S), sp) @ qt  # [D, S, Sp] = A_t
        at_f = toeplitz(f_lags, torch.arange(F), fp) @ qf  # [T, F, Fp] = A_f
        self.t_idx = torch.as_tensor(t_idx, device=device)
        self.f_idx = torch.as_tensor(f_idx, device=device)
        lam = lt.clamp_min(0.0)[self.t_idx.cpu(), :, None] * lf.clamp_min(0.0)[self.f_idx.cpu(),
                                                                                None, :]
        self.lam = lam.reshape(len(self.t_idx), -1).to(device)  # [G, P] float64
        self.qt_c, self.qf_c = qt.conj().to(C64).to(device), qf.conj().to(C64).to(device)
        self.at_t, self.at_f = at_t.to(C64).to(device), at_f.to(C64).to(device)
        self.at_t2 = at_t.abs().square().to(device)  # [D, S, Sp] float64
        self.at_f2 = at_f.abs().square().to(device)  # [T, F, Fp] float64

    def _grid(self, z: torch.Tensor) -> torch.Tensor:
        return z.reshape(*z.shape[:-1], *self.shape_p)  # [..., Sp, Fp]

    def power(self, z: torch.Tensor) -> torch.Tensor:
        """|Q_g^H z|² summed over links for every prior: z [B, L, P] → [G, B, P] float64."""
        B, L, P = z.shape
        per = max(1, int(128 * 2**20 // (8 * len(self.qt_c) * len(self.qf_c) * L * P)))
        out = []
        for lo in range(0, B, per):  # grids per chunk: intermediates under ~128 MiB
            y = torch.einsum("blsf,tfk->tblsk", self._grid(z[lo:lo + per]), self.qf_c)
            w = torch.einsum("tblsk,dsj->tdbljk", y, self.qt_c)  # [T, D, b, L, Sp, Fp]
            pw = w.abs().square().sum(dim=3).flatten(-2).double()  # [T, D, b, P]
            out.append(pw[self.f_idx, self.t_idx])  # [G, b, P]
        return torch.cat(out, dim=1)

    def coefficients(self, g: int, z: torch.Tensor) -> torch.Tensor:
        """Q_g^H z per link: z [n, L, P] → [n, L, P] complex64, in the order of ``lam[g]``."""
        d, t = int(self.t_idx[g]), int(self.f_idx[g])
        w = torch.einsum("nlsf,sj,fk->nljk", self._grid(z), self.qt_c[d], self.qf_c[t])
        return w.flatten(-2)

    def apply(self, g: int, z: torch.Tensor, no: torch.Tensor):
        """Prior g's filter: z [n, L, P], no [n] → ĥ [n, L, N] complex64, E [n, N] float32."""
        d, t = int(self.t_idx[g]), int(self.f_idx[g])
        inv = 1.0 / (self.lam[g][None, :] + no.double()[:, None])  # [n, P]
        inv_g = self._grid(inv)  # [n, Sp, Fp]
        w = torch.einsum("nlsf,sj,fk->nljk", self._grid(z), self.qt_c[d], self.qf_c[t])
        w = w * inv_g.to(torch.float32)[:, None]
        h = torch.einsum("sj,nljk,fk->nlsf", self.at_t[d], w, self.at_f[t])  # [n, L, S, F]
        e = 1.0 - torch.einsum("sj,njk,fk->nsf", self.at_t2[d], inv_g, self.at_f2[t])
        return h.flatten(-2), e.flatten(-2).clamp_min(0.0).float()

    def trim(self, keep) -> None:  # nothing cached
        return


class DenseBank:
    """Bank for any pilot set (module docstring); same interface as :class:`KroneckerBank`."""

    def __init__(self, t_lags, f_lags, t_idx, f_idx, pilot_idx, device: str = "cpu",
                 cache_mb: float = 512.0):
        self._t, self._f = t_lags[t_idx], f_lags[f_idx]  # [G, 2S−1], [G, 2F−1]
        self.pilot_idx = pilot_idx
        self.device = device
        P, N = len(pilot_idx), (self._t.shape[-1] + 1) // 2 * ((self._f.shape[-1] + 1) // 2)
        per = max(1, int(256 * 2**20 // (16 * (N * P + P * P))))  # priors per build chunk
        q_out, lam_out = [], []
        for lo in range(0, len(self._t), per):
            lam, q = eigh(kron_blocks(self._t[lo:lo + per], self._f[lo:lo + per],
                                      pilot_idx).r_pp)
            q_out.append(q.conj().to(C64))
            lam_out.append(lam.clamp_min(0.0))
        self.q_c = torch.cat(q_out).to(device)  # [G, P, P]
        self.lam = torch.cat(lam_out).to(device)  # [G, P] float64
        self._cache: OrderedDict[int, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()
        self._cache_bytes = int(cache_mb * 2**20)

    def power(self, z: torch.Tensor) -> torch.Tensor:
        """|Q_g^H z|² summed over links for every prior: z [B, L, P] → [G, B, P] float64."""
        B, L, P = z.shape
        per = max(1, int(64 * 2**20 // max(1, 8 * B * L * P)))
        out = []
        for lo in range(0, len(self.q_c), per):
            w = torch.einsum("blp,gpq->gblq", z, self.q_c[lo:lo + per])  # [g, B, L, P]
            out.append(w.abs().square().sum(dim=2).double())
        return torch.cat(out)

    def _filter(self, g: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(A^T [P, N] complex64, |A^T|² [P, N] float32) of prior g."""
        if g in self._cache:
            self._cache.move_to_end(g)
            return self._cache[g]
        blocks = kron_blocks(self._t[g:g + 1], self._f[g:g + 1], self.pilot_idx)
        q = self.q_c[g].cpu().to(torch.complex128).conj()  # [P, P]
        at = (blocks.r_hp[0] @ q).T.contiguous()  # [P, N] complex128
        entry = (at.to(C64).to(self.device),
                 torch.view_as_real(at).square().sum(-1).float().to(self.device))
        self._cache[g] = entry
        return entry

    def coefficients(self, g: int, z: torch.Tensor) -> torch.Tensor:
        """Q_g^H z per link: z [n, L, P] → [n, L, P] complex64, in the order of ``lam[g]``."""
        return z @ self.q_c[g]

    def apply(self, g: int, z: torch.Tensor, no: torch.Tensor):
        """Prior g's filter: z [n, L, P], no [n] → ĥ [n, L, N] complex64, E [n, N] float32."""
        at, a2 = self._filter(g)
        inv = 1.0 / (self.lam[g][None, :] + no.double()[:, None])  # [n, P]
        h = ((z @ self.q_c[g]) * inv.float()[:, None, :]) @ at  # [n, L, N]
        return h, (1.0 - inv.float() @ a2).clamp_min(0.0)

    def trim(self, keep: set[int]) -> None:
        """Evict least-recently-used filters beyond the budget, except ``keep``."""
        used = sum(a.numel() * 8 + b.numel() * 4 for a, b in self._cache.values())
        for g in [g for g in self._cache if g not in keep]:  # least recently used first
            if used <= self._cache_bytes:
                break
            a, b = self._cache.pop(g)
            used -= a.numel() * 8 + b.numel() * 4


def make_bank(t_lags, f_lags, t_idx, f_idx, mask: np.ndarray, device: str = "cpu",
              cache_mb: float = 512.0):
    """:class:`KroneckerBank` for product pilot sets, else :class:`DenseBank`."""
    product = product_pilots(mask)
    if product is not None:
        return KroneckerBank(t_lags, f_lags, t_idx, f_idx, product, device)
    return DenseBank(t_lags, f_lags, t_idx, f_idx, np.flatnonzero(mask), device, cache_mb)
