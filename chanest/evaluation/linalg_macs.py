"""Multiply-accumulates of the factorizations and solvers torch dispatches to LAPACK.

:class:`~chanest.evaluation.complexity.MacCounter` counts these from the shapes of
their inputs. A MAC is one multiply and one add (2 flops); a complex MAC is 4 real
ones, as for matrix products. The counts are the leading terms of the standard
operation counts (LAPACK Working Note 41 for LU, Cholesky and triangular solves;
Golub & Van Loan, *Matrix Computations*, 4th ed., for QR, the symmetric eigensolver
and the SVD), per matrix of the batch, with n the order of a square matrix, an m × n
input (m ≥ n after transposing) otherwise, and k right-hand sides:

================================  =============================================
aten op (torch function)          complex or real MACs per matrix
================================  =============================================
``linalg_cholesky_ex``            n³/6 (n³/3 flops)
``linalg_solve_triangular``       n²·k/2 (also ``triangular_solve``)
``cholesky_solve``                n²·k (two triangular solves)
``linalg_lu_factor_ex``           n²(m − n/3)/2 (n³/3 when square)
``linalg_lu_solve``               n²·k (two triangular solves)
``_linalg_solve_ex`` (``solve``)  n³/3 + n²·k (LU, then two triangular solves)
``linalg_inv_ex``                 n³ (LU n³/3, inverse from it 2n³/3)
``_linalg_det``, ``_slogdet``     n³/3 (LU)
``_linalg_eigh``                  9n³/2 with eigenvectors, 2n³/3 without (9n³, 4n³/3 flops)
``linalg_qr``                     n²(m − n/3) for R, twice that with Q (Householder)
``_linalg_svd``                   7mn² + 4n³ with U, V (thin), 2mn² − 2n³/3 values only
================================  =============================================

Other linear-algebra ops (``linalg_eig``, ``linalg_lstsq``, ``linalg_pinv``, …) have
no rule here; the counter lists the ones it met in ``MacCounter.uncounted``.
"""

from __future__ import annotations

import math

import torch

__all__ = ["linalg_macs", "is_linalg"]

_aten = torch.ops.aten


def _factor(t: torch.Tensor) -> int:
    return 4 if t.is_complex() else 1


def _square(a: torch.Tensor) -> tuple[int, int]:
    """(matrices in the batch, n) of a [..., n, n] input."""
    return math.prod(a.shape[:-2]), a.shape[-1]


def _rhs(a: torch.Tensor, b: torch.Tensor, left: bool = True) -> int:
    """Right-hand sides per matrix: columns of b [..., n, k] (rows when solving X·A = B),
    or 1 for a vector b, and the batch b broadcasts to beyond a's."""
    if b.dim() == a.dim() - 1:  # [..., n]: one vector per matrix
        return 1
    extra = math.prod(b.shape[:-2]) // max(1, math.prod(a.shape[:-2]))
    return max(1, extra) * (b.shape[-1] if left else b.shape[-2])


def _tall(a: torch.Tensor) -> tuple[int, int, int]:
    """(matrices, m, n) of a [..., rows, cols] input with m ≥ n."""
    rows, cols = a.shape[-2], a.shape[-1]
    return math.prod(a.shape[:-2]), max(rows, cols), min(rows, cols)


def _cholesky(args, kwargs, out) -> float:
    count, n = _square(args[0])
    return count * n**3 / 6


def _solve_triangular(args, kwargs, out) -> float:
    a, b = args[0], args[1]
    count, n = _square(a)
    return count * n**2 * _rhs(a, b, kwargs.get("left", True)) / 2


def _triangular_solve(args, kwargs, out) -> float:  # triangular_solve(B, A)
    b, a = args[0], args[1]
    count, n = _square(a)
    return count * n**2 * _rhs(a, b) / 2


def _cholesky_solve(args, kwargs, out) -> float:  # cholesky_solve(B, L)
    b, a = args[0], args[1]
    count, n = _square(a)
    return count * n**2 * _rhs(a, b)


def _lu_solve(args, kwargs, out) -> float:  # linalg_lu_solve(LU, pivots, B)
    a, b = args[0], args[2]
    count, n = _square(a)
    return count * n**2 * _rhs(a, b, kwargs.get("left", True))


def _lu_factor(args, kwargs, out) -> float:
    count, m, n = _tall(args[0])
    return count * n**2 * (m - n / 3) / 2


def _solve(args, kwargs, out) -> float:
    a, b = args[0], args[1]
    count, n = _square(a)
    return count * (n**3 / 3 + n**2 * _rhs(a, b, kwargs.get("left", True)))


def _inv(args, kwargs, out) -> float:
    count, n = _square(args[0])
    return count * n**3


def _lu_only(args, kwargs, out) -> float:
    count, n = _square(args[0])
    return count * n**3 / 3


def _eigh(args, kwargs, out) -> float:
    count, n = _square(args[0])
    vectors = out[1].numel() > 0  # eigvalsh returns no eigenvectors
    return count * (4.5 if vectors else 2 / 3) * n**3


def _qr(args, kwargs, out) -> float:
    count, m, n = _tall(args[0])
    mode = args[1] if len(args) > 1 else kwargs.get("mode", "reduced")
    return count * n**2 * (m - n / 3) * (1 if mode == "r" else 2)


def _svd(args, kwargs, out) -> float:
    count, m, n = _tall(args[0])
    vectors = out[0].numel() > 0  # svdvals returns no U
    return count * ((7 * m * n**2 + 4 * n**3) if vectors else (2 * m * n**2 - 2 * n**3 / 3))


_RULES = {
    _aten.linalg_cholesky_ex: _cholesky,
    _aten.linalg_solve_triangular: _solve_triangular,
    _aten.triangular_solve: _triangular_solve,
    _aten.cholesky_solve: _cholesky_solve,
    _aten.linalg_lu_factor_ex: _lu_factor,
    _aten.linalg_lu_solve: _lu_solve,
    _aten._linalg_solve_ex: _solve,
    _aten.linalg_inv_ex: _inv,
    _aten._linalg_det: _lu_only,
    _aten._linalg_slogdet: _lu_only,
    _aten._linalg_eigh: _eigh,
    _aten.linalg_qr: _qr,
    _aten._linalg_svd: _svd,
}


#: ``linalg_*`` ops that are no factorization or solver (norms, products, checks)
_NOT_SOLVERS = ("norm", "cross", "vecdot", "check_errors", "diagonal", "matmul")


def is_linalg(packet) -> bool:
    """Whether an aten op is a factorization or solver (counted here or not)."""
    name = packet.__name__.lstrip("_")
    if name.startswith("linalg_"):
        return not any(word in name for word in _NOT_SOLVERS)
    return name.startswith(("cholesky", "triangular_solve", "geqrf", "ormqr"))


def linalg_macs(packet, args, kwargs, out) -> int | None:
    """Real MACs of one call (inputs ``args``, ``kwargs``; result ``out``) of a
    factorization or solver, None for an op without a rule."""
    rule = _RULES.get(packet)
    if rule is None:
        return None
    matrix = args[1] if packet in (_aten.cholesky_solve, _aten.triangular_solve) else args[0]
    return int(round(rule(args, kwargs or {}, out) * _factor(matrix)))
