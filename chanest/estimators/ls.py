"""LS at the pilots, interpolated to the full grid: nearest, linear, cubic, Gaussian RBF.

For a fixed mask each interpolator is a fixed linear map pilot vector → grid. We
build it once by interpolating the P unit vectors with SciPy in (symbol index,
subcarrier index) coordinates and apply it as one matmul
(:class:`~chanest.estimators.linear.LinearFilterEstimator`).

Geometry rules, the same for every method:

* pilots spanning the plane: 2-D interpolation (``nearest``: nearest pilot;
  ``linear``: Delaunay barycentric; ``cubic``: Clough–Tocher C¹; ``rbf``: Gaussian
  RBF ``exp(−(ε r)²)`` with legacy ``scipy.interpolate.Rbf``'s default width, as
  ChannelNet's input); REs outside the pilots' convex hull take the nearest pilot's value;
* collinear pilots (all on one symbol, one subcarrier or one line): 1-D
  interpolation along that line, constant across it, held constant beyond its ends;
* a single pilot: constant grid.

All interpolators are exact at the pilots. ``err_var`` is the MSE of the map under
the scenario's nominal statistics: interpolation error + ``no·‖W_i‖²`` propagated
noise (see :mod:`chanest.estimators.linear`).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.interpolate import (
    CloughTocher2DInterpolator,
    CubicSpline,
    LinearNDInterpolator,
    NearestNDInterpolator,
    RBFInterpolator,
)
from scipy.spatial import Delaunay

from chanest.estimators.base import GridContext
from chanest.estimators.linear import LinearFilterEstimator

__all__ = ["METHODS", "interp_1d_matrix", "interpolation_matrix", "InterpolationEstimator"]

METHODS = ("nearest", "linear", "cubic", "rbf")


def _rbf_epsilon(points: np.ndarray) -> float:
    """Shape parameter ε = 1 / (average node spacing), the default of SciPy's legacy
    ``Rbf`` (used by ChannelNet): spacing = (∏ bounding-box edges / P)^(1/d).

    Args:
        points: [P, d] pilot coordinates.
    """
    edges = np.ptp(points, axis=0)
    edges = edges[edges > 0]
    spacing = float(np.prod(edges) / len(points)) ** (1.0 / len(edges))
    return 1.0 / spacing


def interp_1d_matrix(x: np.ndarray, xq: np.ndarray, method: str) -> np.ndarray:
    """Linear map from values at ``x`` to values at ``xq`` (constant beyond the ends).

    Args:
        x: [K] distinct known positions (any order).  xq: [M] query positions.
        method: one of :data:`METHODS`.

    Returns:
        [M, K] float64.
    """
    K = len(x)
    if K == 1:
        return np.ones((len(xq), 1))
    order = np.argsort(x)
    xs = x[order]
    q = np.clip(xq, xs[0], xs[-1])  # constant extrapolation
    eye = np.eye(K)
    if method == "nearest":
        out = eye[np.abs(q[:, None] - xs[None, :]).argmin(1)]
    elif method == "linear" or (method == "cubic" and K < 3):
        out = np.stack([np.interp(q, xs, e) for e in eye], axis=1)
    elif method == "cubic":
        out = CubicSpline(xs, eye, bc_type="natural")(q)
    elif method == "rbf":
        out = RBFInterpolator(xs[:, None], eye, kernel="gaussian",
                              epsilon=_rbf_epsilon(xs[:, None]))(q[:, None])
    else:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    back = np.empty_like(out)
    back[:, order] = out  # columns back in the caller's pilot order
    return back


def interpolation_matrix(mask: np.ndarray, method: str) -> np.ndarray:
    """Interpolation map for a pilot mask.

    Args:
        mask: [S, F] bool pilot mask (pilots in row-major order).
        method: one of :data:`METHODS`.

    Returns:
        [S·F, P] float64 W with ĥ_grid = W · ĥ_pilots.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    pts = np.argwhere(mask).astype(np.float64)  # [P, 2] (symbol, subcarrier), row-major
    query = np.argwhere(np.ones_like(mask, dtype=bool)).astype(np.float64)  # [N, 2]
    P = len(pts)
    if P == 1:
        return np.ones((len(query), 1))
    centre = pts.mean(0)
    _, sing, vt = np.linalg.svd(pts - centre, full_matrices=False)
    if sing[1] <= 1e-9 * max(sing[0], 1.0):  # collinear pilots: 1-D along the line
        direction = vt[0]
        return interp_1d_matrix((pts - centre) @ direction, (query - centre) @ direction,
                                method)
    eye = np.eye(P)
    out = NearestNDInterpolator(pts, eye)(query)  # [N, P]
    if method == "nearest":
        return out
    tri = Delaunay(pts)
    inside = tri.find_simplex(query) >= 0
    if method == "linear":
        out[inside] = LinearNDInterpolator(tri, eye)(query[inside])
    elif method == "cubic":
        out[inside] = CloughTocher2DInterpolator(tri, eye)(query[inside])
    else:
        out[inside] = RBFInterpolator(pts, eye, kernel="gaussian",
                                      epsilon=_rbf_epsilon(pts))(query[inside])
    return out


class InterpolationEstimator(LinearFilterEstimator):
    """LS at the pilots + a fixed interpolator (see module docstring)."""

    noise_dependent = False

    def __init__(self, ctx: GridContext, device: str = "cpu", method: str = "linear"):
        super().__init__(ctx, device)
        self.method = method
        self._w = torch.as_tensor(interpolation_matrix(ctx.mask, method))  # [N, P] float64

    def weights(self, no: float) -> torch.Tensor:  # W is noise-independent
        return self._w.to(torch.complex128)
