"""Per-sample errors → summary rows and paired deltas with confidence intervals.

Per-sample errors of each estimator (``{metric: [n]}``, :class:`chanest.metrics.SampleErrors`'
fields) are summarised per (estimator, model group, SNR group) into the rows of
``results.csv`` (:data:`chanest.evaluation.results.RESULT_COLUMNS`) and, against a
reference estimator on the same grids, the rows of ``paired.csv``
(:data:`chanest.evaluation.results.PAIRED_COLUMNS`). Definitions: :mod:`chanest.metrics`.
"""

from __future__ import annotations

import numpy as np

from chanest.metrics import mean_db, ratio_db, to_db

__all__ = ["MAX_SNR_VALUES", "snr_groups", "summary_row", "summarise"]

#: distinct SNR values above which SNRs are binned (continuous SNR ranges)
MAX_SNR_VALUES = 64


def snr_groups(snr: np.ndarray, bin_db: float | None) -> np.ndarray:
    """SNR label [n] per sample of ``snr`` [n]: exact values, or bins of ``bin_db`` (1 dB
    when not given) when they are given or there are more than :data:`MAX_SNR_VALUES`."""
    if bin_db is None and len(np.unique(snr)) <= MAX_SNR_VALUES:
        return snr.astype(np.float64)
    step = bin_db or 1.0
    return np.round(snr / step) * step


def summary_row(name: str, is_bound: bool, snr: float, model: str, d: dict, sel: np.ndarray,
                level: float) -> dict:
    """One results row from per-sample errors ``d`` ({metric: [n]}) restricted to ``sel``
    (bool [n])."""
    mse, ps = mean_db(d["mse"][sel], level), mean_db(d["nmse"][sel], level)
    nmse = ratio_db(d["err"][sel], d["power"][sel], level)
    return dict(estimator=name, is_bound=is_bound, snr_db=snr, model=model, n=int(sel.sum()),
                mse=float(d["mse"][sel].mean()), mse_db=mse.db, mse_db_lo=mse.lo,
                mse_db_hi=mse.hi, nmse_db=nmse.db, nmse_db_lo=nmse.lo, nmse_db_hi=nmse.hi,
                nmse_ps_db=ps.db, nmse_ps_db_lo=ps.lo, nmse_ps_db_hi=ps.hi,
                err_var_db=to_db(d["err_var"][sel].mean()))


def summarise(names, estimators, per_sample, snr_g, model_g, labels, reference,
              level) -> tuple[list[dict], list[dict]]:
    """Rows per estimator × model group × SNR, and paired deltas against ``reference``.

    Args:
        names, estimators: the estimators (their ``is_bound`` marks bounds).
        per_sample: {name: {metric: [n]}}.  snr_g, model_g: [n] SNR group and model label.
        labels: the dataset's model labels (an ``all`` group is added for several).
        reference: the name the paired deltas are taken against.  level: CI level.
    """
    groups = (["all"] if len(labels) > 1 else []) + list(labels)
    rows, paired = [], []
    for name, est in zip(names, estimators):
        d = per_sample[name]
        for grp in groups:
            in_model = np.ones(len(snr_g), bool) if grp == "all" else model_g == grp
            for value in np.unique(snr_g[in_model]):
                sel = in_model & (snr_g == value)
                rows.append(summary_row(name, bool(est.is_bound), float(value), grp, d, sel,
                                        level))
                if name == reference:
                    continue
                delta = ratio_db(d["err"][sel], per_sample[reference]["err"][sel], level)
                paired.append(dict(estimator=name, reference=reference, snr_db=float(value),
                                   model=grp, n=int(sel.sum()), delta_nmse_db=delta.db,
                                   delta_nmse_db_lo=delta.lo, delta_nmse_db_hi=delta.hi))
    return rows, paired
