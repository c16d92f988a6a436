"""Error metrics with confidence intervals (per-sample values → dB summaries).

Per sample i (a grid with all its links)::

    mse_i  = mean over (L, S, F) of |h − ĥ|²        (per-RE MSE)
    err_i  = Σ |h − ĥ|²,   pow_i = Σ |h|²
    nmse_i = err_i / pow_i                           (per-sample NMSE)

The SNR of a grid is ``snr_db(no) = −10 log10(no)`` and a per-SNR table is read at the
entry nearest a grid's SNR (:func:`nearest_index`); training validation, evaluation and
the SNR switch all use these.

Summaries over a group of samples, in dB:

* ``mse_db = 10 log10(mean mse_i)``;
* ``nmse_db = 10 log10(Σ err_i / Σ pow_i)`` — the NMSE E‖h−ĥ‖²/E‖h‖². This is the
  quantity the closed-form LMMSE trace predicts and the one the genie MMSE bound
  bounds, so it is the headline metric;
* ``nmse_ps_db = 10 log10(mean nmse_i)`` — the mean of per-sample ratios. It weights
  deeply faded grids heavily (≈ 2 dB above ``nmse_db`` for VehA on 72×14) and the
  genie-LMMSE is *not* guaranteed to be a bound for it.

Confidence intervals (level 95 % by default) use the normal approximation with the
delta method on the log scale: for a ratio of means r = ā / b̄ over n paired samples,
Var(ln r) ≈ Var(a_i/ā − b_i/b̄) / n, and the interval is
10 log10(r) ± z · (10/ln 10) · sd(ln r) (symmetric in dB). A plain mean is the case
b_i = 1. The same formula gives *paired* differences between two estimators on the
same grids (a = err of A, b = err of B), whose interval is much narrower than the
difference of two independent intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import norm

__all__ = ["SampleErrors", "sample_errors", "DbSummary", "ratio_db", "mean_db", "to_db",
           "snr_db", "nearest_index"]

_DB = 10.0 / math.log(10.0)


def to_db(x) -> float:
    """10 log10(x) (−inf for 0)."""
    x = float(x)
    return 10.0 * math.log10(x) if x > 0 else float("-inf")


def snr_db(no: torch.Tensor) -> torch.Tensor:
    """SNR [dB] = −10 log10(no), elementwise, of a noise variance tensor ``no`` (unit-power
    channels and unit-modulus pilots; ``no`` is clamped at 1e-12, i.e. at most 120 dB)."""
    return -10 * torch.log10(no.clamp_min(1e-12))


def nearest_index(values: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """[B] int64 index of the entry of ``table`` [K] nearest each of ``values`` [B]
    (the first one on a tie)."""
    return torch.argmin((values[:, None] - table[None, :]).abs(), dim=1)


@dataclass
class SampleErrors:
    """Per-sample errors of one estimate (CPU float64 numpy arrays, shape [B])."""

    mse: np.ndarray
    err: np.ndarray
    power: np.ndarray
    nmse: np.ndarray
    err_var: np.ndarray


def sample_errors(h: torch.Tensor, h_hat: torch.Tensor,
                  err_var: torch.Tensor | None = None) -> SampleErrors:
    """Per-sample errors.

    Args:
        h, h_hat: [B, L, S, F] complex.  err_var: optional [B, L, S, F] reported error.

    Returns:
        :class:`SampleErrors` with [B] arrays (``err_var``: mean reported error per RE,
        NaN if not given).
    """
    e = (h - h_hat).abs().double().pow(2).flatten(1)  # [B, L·S·F]
    p = h.abs().double().pow(2).flatten(1)
    err, power = e.sum(1), p.sum(1)
    rep = err_var.double().flatten(1).mean(1) if err_var is not None else \
        torch.full_like(err, float("nan"))
    def to_np(t):
        return t.cpu().numpy()
    return SampleErrors(mse=to_np(e.mean(1)), err=to_np(err), power=to_np(power),
                        nmse=to_np(err / power), err_var=to_np(rep))


@dataclass(frozen=True)
class DbSummary:
    """A value in dB with its confidence interval."""

    db: float
    lo: float
    hi: float
    n: int


def ratio_db(a: np.ndarray, b: np.ndarray | None = None, level: float = 0.95) -> DbSummary:
    """10 log10(mean a / mean b) with a delta-method CI over paired samples (see module doc).

    Args:
        a: [n] non-negative samples.  b: [n] paired samples, or None for 1.
    """
    a = np.asarray(a, np.float64)
    n = len(a)
    if n == 0:
        nan = float("nan")
        return DbSummary(nan, nan, nan, 0)
    a_bar = a.mean()
    if b is None:
        ratio, rel = a_bar, (a / a_bar if a_bar > 0 else np.zeros_like(a))
    else:
        b = np.asarray(b, np.float64)
        b_bar = b.mean()
        ratio = a_bar / b_bar
        rel = (a / a_bar if a_bar > 0 else np.zeros_like(a)) - b / b_bar
    value = to_db(ratio)
    if n < 2 or not math.isfinite(value):
        return DbSummary(value, float("nan"), float("nan"), n)
    half = norm.ppf(0.5 + level / 2.0) * _DB * float(np.std(rel, ddof=1)) / math.sqrt(n)
    return DbSummary(value, value - half, value + half, n)


def mean_db(x: np.ndarray, level: float = 0.95) -> DbSummary:
    """10 log10(mean x) with its CI (delta method)."""
    return ratio_db(x, None, level)
