"""Training curves from the ``log.csv`` of one or several runs, in the style of ``plot``.

``log.csv`` (written by :class:`chanest.training.loop.Trainer`) has one row per epoch: ``stage``,
``stage_name``, ``epoch`` (within the stage), ``train_loss``, ``val_nmse_db``,
``val_score_db``, ``lr``, ``samples_per_s``, ``seconds``. The x axis counts epochs over all
stages (1, 2, ...); where a run changes stage a thin vertical line is drawn.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from chanest.plots.files import figure_target, points_path, save_figure, write_points
from chanest.plots.style import FILE_STYLES, RC, SERIES_COLOURS, SIZES
from chanest.schema import ConfigError

__all__ = ["TRAINING_METRICS", "read_log", "plot_training"]

#: column → (y label, log y axis)
TRAINING_METRICS = {
    "val_nmse_db": ("validation NMSE [dB]", False),
    "val_score_db": ("validation score [dB]", False),
    "train_loss": ("training loss", True),
    "lr": ("learning rate", True),
}
_MARKERS = ["o", "s", "^", "D", "v", "P"]


def read_log(run: str | Path) -> list[dict]:
    """Rows of ``RUN/log.csv`` (or of a ``log.csv`` path) with numbers parsed."""
    run = Path(run)
    path = run if run.suffix == ".csv" else run / "log.csv"
    if not path.is_file():
        raise ConfigError(f"RUN_DIR: no training log at {path} (give a run folder written "
                          "by `train`)")
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        if "epoch" not in (reader.fieldnames or []) or "val_nmse_db" not in reader.fieldnames:
            raise ConfigError(f"RUN_DIR: {path} is not a chanest training log")
        rows = list(reader)
    if not rows:
        raise ConfigError(f"RUN_DIR: {path} has no epochs yet")
    out = []
    for i, row in enumerate(rows):
        parsed = {"global_epoch": i + 1, "stage_name": row.get("stage_name", "")}
        for key, value in row.items():
            if key != "stage_name":
                try:
                    parsed[key] = float(value)
                except (TypeError, ValueError):
                    parsed[key] = math.nan
        out.append(parsed)
    return out


def _styles(groups: list[str]) -> list[dict]:
    """Colour and marker per group, line style per run within its group."""
    order = list(dict.fromkeys(groups))
    seen: dict[str, int] = {}
    out = []
    for g in groups:
        k, n = order.index(g), seen.get(g, 0)
        seen[g] = n + 1
        out.append(dict(color=SERIES_COLOURS[k % len(SERIES_COLOURS)],
                        marker=_MARKERS[k % len(_MARKERS)],
                        linestyle=FILE_STYLES[n % len(FILE_STYLES)][0]))
    return out


def _run_labels(paths: list[Path], tags: list[str] | None,
                groups: list[str] | None) -> tuple[list[str], list[dict]]:
    """Legend text and line style per run (:func:`_styles`); ConfigError for a count that
    does not match the runs."""
    if tags and len(tags) != len(paths):
        raise ConfigError(f"give one tag per run ({len(paths)} runs), got {len(tags)}", arg="tags")
    tags = list(tags) if tags else [(p.parent if p.suffix == ".csv" else p).name
                                    for p in paths]
    if groups is not None and len(groups) != len(paths):
        raise ConfigError(f"groups: one per run ({len(paths)} runs), got {len(groups)}")
    return tags, _styles(groups if groups is not None else [str(i) for i in range(len(paths))])


def _draw_run(ax, rows: list[dict], metric: str, log: bool, style: dict, tag: str,
              path: Path) -> list[dict]:
    """One run's curve, a dotted line where it changes stage; returns the points drawn
    (points CSV rows)."""
    pts = [r for r in rows if math.isfinite(r[metric]) and (not log or r[metric] > 0)]
    xs, ys = [r["global_epoch"] for r in pts], [r[metric] for r in pts]
    ax.plot(xs, ys, **style, markevery=max(1, len(xs) // 12), label=tag, zorder=3)
    for a, b in zip(rows, rows[1:]):
        if a.get("stage") != b.get("stage"):
            ax.axvline(a["global_epoch"] + 0.5, color=style["color"], linewidth=0.6,
                       linestyle=":", zorder=1)
    return [dict(panel="", series=tag, estimator=r.get("stage_name", ""), file=str(path),
                 x=float(r["global_epoch"]), y=r[metric], y_lo="", y_hi="", point="value")
            for r in pts]


def plot_training(runs: list, out: str | Path, metric: str = "val_nmse_db",
                  tags: list[str] | None = None, title: str = "",
                  size: str = "single", groups: list[str] | None = None) -> list[Path]:
    """Draw ``metric`` vs epoch of every run on one axes; returns the figures and the CSV.

    Args:
        runs: run folders (or ``log.csv`` paths).
        out: as for :func:`chanest.plots.results.plot_results` (a folder gets ``training.*``).
        metric: a column of :data:`TRAINING_METRICS`.
        tags: legend text per run (default: the run folder names).
        groups: optional group per run (e.g. the model): runs of one group share colour
            and marker and differ by line style (default: every run its own colour).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if metric not in TRAINING_METRICS:
        raise ConfigError(f"expected one of {', '.join(TRAINING_METRICS)}, "
                          f"got {metric!r}", arg="metric")
    if size not in SIZES:
        raise ConfigError(f"expected one of {', '.join(SIZES)}, got {size!r}", arg="size")
    if not runs:
        raise ConfigError("RUN_DIR: give at least one run folder")
    paths = [Path(r) for r in runs]
    tags, styles = _run_labels(paths, tags, groups)
    logs = [read_log(p) for p in paths]
    stem, formats = figure_target(out, "training")
    points_path(stem, [p / "log.csv" if p.suffix != ".csv" else p for p in paths])
    ylabel, log = TRAINING_METRICS[metric]
    points = []
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=SIZES[size])
        if log:
            ax.set_yscale("log")
        for rows, style, tag, path in zip(logs, styles, tags, paths):
            points += _draw_run(ax, rows, metric, log, style, tag, path)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.xaxis.get_major_locator().set_params(integer=True)
        if title:
            ax.set_title(title)
        fig.tight_layout()
        fig.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), frameon=False,
                   ncol=2 if size == "single" else 3)
    try:
        written = save_figure(fig, stem, formats)
    finally:
        plt.close(fig)
    return written + [write_points(stem, points)]
