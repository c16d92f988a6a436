"""Confidence intervals for error rates counted over grids.

Bit errors within one grid share its channel, so they are not independent Bernoulli
trials: a binomial interval over all bits would be far too narrow. The interval is a
Wilson score interval on the *effective* number of bits, n / deff, where the design
effect deff is the variance of the per-grid error counts over its binomial value
(Kish; at least 1). It stays defined with zero errors (upper end > 0). Block errors,
one per grid, are independent: deff = 1.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

__all__ = ["RateCI", "wilson", "clustered_rate"]


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


def clustered_rate(errors: np.ndarray, bits_per_grid: int, level: float = 0.95) -> RateCI:
    """Error rate of ``errors`` [n grids] out of ``bits_per_grid`` each, with a Wilson
    interval on the design-effect-corrected number of bits."""
    errors = np.asarray(errors, dtype=np.float64)
    n_grids = errors.size
    total = n_grids * bits_per_grid
    if n_grids == 0:
        return wilson(0, 0, level)
    p = errors.sum() / total
    deff = 1.0
    if n_grids > 1 and 0 < p < 1:
        binomial_var = bits_per_grid * p * (1 - p)
        deff = max(1.0, float(errors.var(ddof=1)) / binomial_var)
    ci = wilson(p * total / deff, total / deff, level)
    return RateCI(float(p), ci[1], ci[2])
