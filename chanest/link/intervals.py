"""Confidence intervals for error rates counted over grids.

Bit errors within one grid share its channel, so they are not independent Bernoulli
trials: a binomial interval over all bits would be far too narrow. The interval is a
Wilson score interval on the *effective* number of bits, n / deff, where the design
effect deff is the variance of the per-grid error counts over its binomial value
(Kish; at least 1). It stays defined with zero errors (upper end > 0). Block errors,
one per grid, are independent: deff = 1. With several users per grid (errors [n, U],
one block per user) the users of a grid share its SNR, parameters and joint detector,
so the grid is the cluster for bits and blocks alike (:func:`per_grid`). The stopping
rules count bit errors the same way (:func:`effective_errors`), so "100 errors" means
the precision of 100 independent errors, not 100 errors from one deep fade.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

__all__ = ["RateCI", "wilson", "clustered_rate", "design_effect", "effective_errors",
           "per_grid"]


class RateCI(tuple):
    """(rate, lo, hi) of an error rate."""

    __slots__ = ()

    def __new__(cls, rate: float, lo: float, hi: float):
        return super().__new__(cls, (rate, lo, hi))


def wilson(errors: float, trials: float, level: float = 0.95) -> RateCI:
    """Wilson score interval for ``errors`` in ``trials`` (trials may be fractional)."""
    if trials <= 0:
        return RateCI(float("nan"), float("nan"), float("nan"))
    z = float(norm.ppf(0.5 + level / 2))
    p = errors / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    lo = 0.0 if errors <= 0 else max(0.0, centre - half)
    hi = 1.0 if errors >= trials else min(1.0, centre + half)
    return RateCI(float(p), float(lo), float(hi))


def design_effect(errors: np.ndarray, bits_per_grid: int) -> float:
    """Variance of the per-grid error counts over its binomial value (≥ 1; 1 when it
    cannot be estimated: fewer than 2 grids, or no or only errors)."""
    errors = np.asarray(errors, dtype=np.float64)
    p = errors.sum() / max(1, errors.size * bits_per_grid)
    if errors.size < 2 or not 0 < p < 1:
        return 1.0
    return max(1.0, float(errors.var(ddof=1)) / (bits_per_grid * p * (1 - p)))


def per_grid(errors: np.ndarray, units_per_block: int) -> tuple[np.ndarray, int]:
    """Errors per grid and units per grid: [n, U] blocks summed over the U users (a 1-D
    array is one block per grid already)."""
    errors = np.asarray(errors)
    if errors.ndim == 1:
        return errors, units_per_block
    return errors.reshape(len(errors), -1).sum(1), units_per_block * errors[0].size


def effective_errors(errors: np.ndarray, bits_per_grid: int) -> float:
    """Errors worth as much as this many independent ones: sum / design effect."""
    return float(np.sum(errors)) / design_effect(errors, bits_per_grid)


def clustered_rate(errors: np.ndarray, bits_per_grid: int, level: float = 0.95) -> RateCI:
    """Error rate of ``errors`` [n grids] out of ``bits_per_grid`` each, with a Wilson
    interval on the design-effect-corrected number of bits."""
    errors = np.asarray(errors, dtype=np.float64)
    total = errors.size * bits_per_grid
    if errors.size == 0:
        return wilson(0, 0, level)
    p = errors.sum() / total
    deff = design_effect(errors, bits_per_grid)
    ci = wilson(p * total / deff, total / deff, level)
    return RateCI(float(p), ci[1], ci[2])
