"""Rows of a results table as differences to one estimator (``plot --relative-to``).

For a metric in dB, ``relative_rows(rows, "lmmse-adaptive", metric, x)`` replaces every
row's value ``v`` by ``v − v_ref``, where ``v_ref`` is the reference estimator's value in the
same file, model group and ``x``; the row's own interval moves with it (the reference's
uncertainty is not added: the rows of one table are evaluated on the same grids, so the
paired interval of a difference is tighter than either row's). The reference becomes the
zero line; rows at an ``x`` the reference lacks are left out.
"""

from __future__ import annotations

from chanest.plots.metrics import Metric
from chanest.schema import ConfigError

__all__ = ["relative_rows", "relative_label"]


def relative_rows(rows: list[dict], reference: str, metric: Metric, x: str) -> list[dict]:
    """``rows`` (dicts with ``estimator``, ``model``, ``_file``, ``x`` and the metric's
    columns) as differences to ``reference``; ConfigError naming ``relative_to`` when the
    metric is not in dB or the reference is not in the table."""
    if metric.log:
        raise ConfigError(f"differences are drawn for metrics in dB only, not "
                          f"{metric.column!r}", arg="relative_to")
    names = list(dict.fromkeys(r["estimator"] for r in rows))
    if reference not in names:
        raise ConfigError(f"{reference!r} is not in the table; it has {', '.join(names)}",
                          arg="relative_to")
    col = metric.column
    ref = {(r["_file"], r["model"], r[x]): r[col] for r in rows
           if r["estimator"] == reference}
    out = []
    for r in rows:
        base = ref.get((r["_file"], r["model"], r[x]))
        if base is None:
            continue
        shifted = dict(r)
        for key in (col, col + "_lo", col + "_hi"):
            if key in r:
                shifted[key] = r[key] - base
        out.append(shifted)
    return out


def relative_label(metric: Metric, reference: str) -> str:
    """y-axis label of a difference, e.g. ``NMSE − lmmse-adaptive [dB]``."""
    name = metric.label.removesuffix(" [dB]")
    return f"{name} − {reference} [dB]"
