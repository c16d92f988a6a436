"""Metric-vs-SNR figures from results tables (reads only the files ``evaluate`` wrote).

One line per estimator with its 95 % confidence band, in a fixed style per estimator
(:mod:`chanest.plots.style`); bounds (the ``role`` column) are black, dashed, drawn beneath
and labelled "(bound)", references dash-dotted and labelled "(reference)". One panel per
model group (``all`` first), sharing the axes. If ``results.json`` sits next to the CSV,
the title names the grid and pilots.

Several result files (e.g. two pilot densities) go on one figure: an estimator keeps its
colour and marker, the file picks the line style and marker fill, and the legend has one
entry per estimator and one per file. Beside every figure, ``<figure>.csv`` holds exactly
the plotted points (:data:`chanest.plots.files.POINT_COLUMNS`).

BER and BLER (``evaluate --metric ber|bler``) are drawn on a log axis; a point with zero
errors cannot be drawn there and is shown instead as an open downward triangle at its
95 % upper bound (``point = upper-bound`` in the points CSV).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from chanest.plots.data import (  # re-exported: figures and their data share one import
    CI_STYLES,
    X_LABELS,
    display_name,
    figure_title,
    load_tables,
    read_results,
    select_rows,
)
from chanest.plots.files import figure_target, points_path, save_figure, write_points
from chanest.plots.metrics import METRICS, Metric
from chanest.plots.relative import relative_label, relative_rows
from chanest.plots.style import FILE_STYLES, RC, SIZES, FigureStyles
from chanest.schema import ConfigError

__all__ = ["display_name", "METRICS", "X_LABELS", "CI_STYLES", "read_results", "plot_results"]


def _series(pts: list[dict], metric: Metric, x: str) -> list[dict]:
    """Points of one line: (x, y, lo, hi, kind); NaN values are left out, zero-error
    points on a log metric become ``upper-bound`` points at ``_hi``."""
    col = metric.column
    out = []
    for r in pts:
        y, lo, hi = r[col], r.get(col + "_lo", math.nan), r.get(col + "_hi", math.nan)
        if not math.isfinite(y):
            continue
        kind = "value"
        if metric.log and y <= 0:
            if not (math.isfinite(hi) and hi > 0):
                continue
            y, lo, kind = hi, math.nan, "upper-bound"
        out.append(dict(x=r[x], y=y, y_lo=lo, y_hi=hi, point=kind))
    xs = [p["x"] for p in out]
    if len(set(xs)) < len(xs):
        raise ConfigError(f"several rows per {x} value for one estimator; "
                          f"choose a column that differs between the rows", arg="x")
    return sorted(out, key=lambda p: p["x"])


def _role_tag(role: str, metric: Metric) -> str:
    """Legend suffix of a row's role."""
    if role == "bound":
        return " (bound)" if metric.bounded else " (genie)"
    return " (reference)" if role == "reference" else ""


def _draw(ax, pts: list[dict], style: dict, label: str, ci: str, log: bool) -> None:
    vals = [p for p in pts if p["point"] == "value"]
    if vals:
        ax.plot([p["x"] for p in vals], [p["y"] for p in vals], label=label, **style)
    ups = [p for p in pts if p["point"] == "upper-bound"]
    if ups:
        ax.plot([p["x"] for p in ups], [p["y"] for p in ups], linestyle="none", marker="v",
                color=style["color"], markerfacecolor="white", zorder=style["zorder"],
                label=None if vals else label)
    ci_pts = [p for p in vals if math.isfinite(p["y_lo"]) and math.isfinite(p["y_hi"])
              and (not log or p["y_lo"] > 0)]
    if not ci_pts or ci == "none":
        return
    xs = [p["x"] for p in ci_pts]
    if ci == "band":
        ax.fill_between(xs, [p["y_lo"] for p in ci_pts], [p["y_hi"] for p in ci_pts],
                        color=style["color"], alpha=0.25, linewidth=0,
                        zorder=style["zorder"] - 0.5)
    else:
        ax.errorbar(xs, [p["y"] for p in ci_pts],
                    yerr=[[p["y"] - p["y_lo"] for p in ci_pts],
                          [p["y_hi"] - p["y"] for p in ci_pts]],
                    fmt="none", ecolor=style["color"], elinewidth=0.8, capsize=2,
                    zorder=style["zorder"])


def _file_style(style: dict, index: int, several: bool) -> dict:
    """The estimator's style with the file's line style and marker fill (several files)."""
    if not several:
        return style
    line, filled = FILE_STYLES[index % len(FILE_STYLES)]
    return dict(style, linestyle=line,
                markerfacecolor=style["color"] if filled else "white")


def _legend_handles(entries: list[tuple[str, dict]], tags: list[str]):
    """Proxy handles: one per estimator (its colour and marker), one per file (gray, the
    file's line style and fill)."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], **{k: v for k, v in _file_style(st, 0, True).items()
                                 if k != "zorder"}, label=lab) for lab, st in entries]
    for i, tag in enumerate(tags):
        line, filled = FILE_STYLES[i % len(FILE_STYLES)]
        handles.append(Line2D([], [], color="0.35", linestyle=line, marker="o",
                              markerfacecolor="0.35" if filled else "white", label=tag))
    return handles


@dataclass
class _Plan:
    """What one figure draws: the rows of every file, its panels (model groups), the
    estimators with their legend labels, and how."""

    rows: list[dict]
    models: list[str]
    names: list[str]
    label_of: dict[str, str]
    tags: list[str]
    files: int
    metric: Metric
    x: str
    ci: str
    #: looks of the estimators; networks by their legend label, so one model in several
    #: files keeps its look
    styles: FigureStyles
    #: the y-axis label
    ylabel: str
    #: the estimator the values are differences to (None: absolute values)
    relative_to: str | None = None

    @property
    def several(self) -> bool:
        return self.files > 1


def _check_choices(metric: str, size: str, ci: str) -> None:
    if metric not in METRICS:
        raise ConfigError(f"expected one of {', '.join(METRICS)}, got {metric!r}", arg="metric")
    if size not in SIZES:
        raise ConfigError(f"expected one of {', '.join(SIZES)}, got {size!r}", arg="size")
    if ci not in CI_STYLES:
        raise ConfigError(f"expected one of {', '.join(CI_STYLES)}, got {ci!r}", arg="ci")


def _plan(paths: list[Path], metric: str, model: str | None, estimators: list[str] | None,
          labels: dict[str, str] | None, tags: list[str] | None, x: str, ci: str,
          relative_to: str | None = None) -> _Plan:
    m = METRICS[metric]
    rows, tags = load_tables(paths, tags, m, x)
    models, names = select_rows(rows, model, estimators)
    ylabel = m.label
    if relative_to is not None:
        rows = relative_rows(rows, relative_to, m, x)
        ylabel = relative_label(m, display_name(relative_to))
    labels = labels or {}
    label_of = {n: labels.get(n, display_name(n)) for n in names}
    return _Plan(rows, models, names, label_of, tags, len(paths), m, x, ci,
                 FigureStyles(names, key=label_of.get), ylabel, relative_to)


def _draw_panel(ax, grp: str, plan: _Plan, entries: dict[str, dict]) -> list[dict]:
    """Every estimator of every file in model group ``grp`` on ``ax``; adds each legend
    label's style to ``entries`` and returns the points drawn (points CSV rows)."""
    if plan.metric.log:
        ax.set_yscale("log")
    points = []
    for name in plan.names:
        for f in range(plan.files):
            sel = [r for r in plan.rows if r["estimator"] == name and r["model"] == grp
                   and r["_file"] == f]
            pts = _series(sel, plan.metric, plan.x) if sel else []
            if not pts:
                continue
            role = sel[0]["role"]
            base = plan.styles.of(name, role)
            label = plan.label_of[name] + _role_tag(role, plan.metric)
            entries.setdefault(label, base)
            _draw(ax, pts, _file_style(base, f, plan.several), label, plan.ci, plan.metric.log)
            series = label + (f" [{plan.tags[f]}]" if plan.several else "")
            points += [dict(panel=grp, series=series, estimator=name, file=plan.tags[f], **p)
                       for p in pts]
    if plan.relative_to is not None:
        ax.axhline(0.0, color="0.6", linewidth=0.6, zorder=0)
    if len(plan.models) > 1:
        ax.set_title(f"{grp}")
    return points


def _subplots(plt, panels: int, size: str):
    """(figure, axes [rows, cols]): at most 2 (single column) or 3 panels per row."""
    cols = min(panels, 2 if size == "single" else 3)
    rows_n = -(-panels // cols)
    w, h = SIZES[size]
    return plt.subplots(rows_n, cols, figsize=(w, h * rows_n / (1 if cols == 1 else 1.3)),
                        squeeze=False, sharex=True, sharey=True)


def _label_axes(axes, panels: int, plan: _Plan, points: list[dict]) -> None:
    """Hide unused panels, label the x axis of each column's lowest panel and the y axis
    of the first column; a few study values on x are ticked exactly."""
    import matplotlib.ticker

    rows_n, cols = axes.shape
    for ax in list(axes.flat)[panels:]:
        ax.set_visible(False)
    for c in range(cols):  # x labels on the lowest visible panel of each column
        lowest = [axes[r, c] for r in range(rows_n) if axes[r, c].get_visible()][-1]
        lowest.xaxis.set_tick_params(labelbottom=True)
        lowest.set_xlabel(X_LABELS.get(plan.x, plan.x))
    xs = sorted({p["x"] for p in points})
    if plan.x != "snr_db" and len(xs) <= 8:  # a few study values: tick exactly those
        if xs[0] > 0 and xs[-1] / xs[0] >= 20:  # geometric values (25, 50, ... 800)
            axes.flat[0].set_xscale("log")
            axes.flat[0].xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        axes.flat[0].set_xticks(xs, [f"{v:g}" for v in xs])
    for ax in axes[:, 0]:
        ax.set_ylabel(plan.ylabel)


def _legend(fig, axes, entries: dict[str, dict], plan: _Plan, points: list[dict],
            size: str) -> None:
    """The legend below the panels, off the data: one entry per series (per estimator and
    per file with several files), and the zero-error marker where one is drawn."""
    if plan.several:
        handles = _legend_handles(list(entries.items()), plan.tags)
    else:
        handles, _ = axes.flat[0].get_legend_handles_labels()
    if any(p["point"] == "upper-bound" for p in points):
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], linestyle="none", marker="v", color="0.35",
                              markerfacecolor="white", label="no errors (95% upper bound)"))
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
               ncol=2 if size == "single" else 3, frameon=False)


def plot_results(csv_path, out: str | Path, metric: str = "nmse",
                 model: str | None = None, estimators: list[str] | None = None,
                 labels: dict[str, str] | None = None, title: str | None = None,
                 size: str = "single", tags: list[str] | None = None, x: str = "snr_db",
                 ci: str = "band", relative_to: str | None = None) -> list[Path]:
    """Draw ``out.pdf`` and ``out.png`` (or exactly ``out`` for a .pdf/.png/.svg name, or
    ``out/<metric>.pdf`` and ``.png`` for an existing folder) and ``out.csv`` (the plotted
    points) from one or several results tables.

    Args:
        csv_path: a ``results.csv`` written by
            :func:`chanest.evaluation.evaluate.write_results`, or a list of them (drawn on
            the same axes, one line style per file).
        out: figure path without extension, a file name with a format suffix, or a folder.
        metric: one of :data:`METRICS`.
        model: draw only this model group (default: every group, one panel each,
            sharing the axes).
        estimators: draw only these, in this order (default: all, table order).
        labels: legend labels {estimator: label} (default: the estimator's name).
        title: the figure title; ``""`` for none (default: grid and pilots of one file).
        size: ``single`` (3.5 in, IEEE column), ``double`` (7.16 in) or ``screen``.
        tags: legend text per file (default: the files' folder names; nothing for one file).
        x: the x column (default ``snr_db``; e.g. ``num_pilots`` for a pilot-density table).
        ci: ``band`` (shaded), ``bars`` (error bars) or ``none``.
        relative_to: draw every value as its difference to this estimator's (same file,
            model group and x; metrics in dB only; :mod:`chanest.plots.relative`).

    Returns:
        the figure paths, then the points CSV.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _check_choices(metric, size, ci)
    paths = [Path(p) for p in ([csv_path] if isinstance(csv_path, (str, Path)) else csv_path)]
    plan = _plan(paths, metric, model, estimators, labels, tags, x, ci, relative_to)
    stem, formats = figure_target(out, metric)
    points_path(stem, paths)
    points, entries = [], {}
    with plt.rc_context(RC):
        fig, axes = _subplots(plt, len(plan.models), size)
        heading = (figure_title(paths[0]) if not plan.several else "") if title is None else title
        for ax, grp in zip(axes.flat, plan.models):
            points += _draw_panel(ax, grp, plan, entries)
        if not points:
            plt.close(fig)
            m = plan.metric
            hint = f" ({m.hint})" if m.hint else ""
            raise ConfigError(f"no finite {m.column!r} values to draw for the "
                              f"chosen estimators{hint}", arg="metric")
        _label_axes(axes, len(plan.models), plan, points)
        if heading:
            fig.suptitle(heading)
        fig.tight_layout()
        _legend(fig, axes, entries, plan, points, size)
    try:
        written = save_figure(fig, stem, formats)
    finally:
        plt.close(fig)
    return written + [write_points(stem, points, paths)]
