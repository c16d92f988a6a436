"""NMSE-vs-SNR figures from results tables (reads only the files ``evaluate`` wrote).

One line per estimator with its 95 % confidence band, in a fixed style per estimator
(:mod:`chanest.plotstyle`); bounds (``is_bound``) are black, dashed, drawn beneath and
labelled "(bound)". One panel per model group (``all`` first), sharing the axes. If
``results.json`` sits next to the CSV, the title names the grid and pilots.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from chanest.config import ConfigError
from chanest.plotstyle import RC, SIZES, style_for

__all__ = ["display_name", "METRICS", "read_results", "plot_results"]

#: metric name → (CSV column prefix, axis label)
METRICS = {
    "nmse": ("nmse_db", "NMSE [dB]"),
    "nmse-ps": ("nmse_ps_db", "mean per-grid NMSE [dB]"),
    "mse": ("mse_db", "MSE [dB]"),
    "calibration": ("calibration_db", "reported err_var − measured MSE [dB]"),
}
_NEEDED = ("estimator", "is_bound", "snr_db", "model")


def display_name(name: str) -> str:
    """Legend label: ``ckpt:runs/<run>/best`` → ``<run>``; a per-SNR glob → ``<parent> (per SNR)``."""
    if not name.startswith("ckpt:"):
        return name
    parts = [p for p in name[len("ckpt:"):].split("/") if p not in ("best", "")]
    if parts and any(ch in parts[-1] for ch in "*?["):
        return f"{parts[-2] if len(parts) > 1 else 'ckpt'} (per SNR)"
    return parts[-1] if parts else name


def read_results(path: str | Path) -> list[dict]:
    """Rows of a ``results.csv`` with numbers parsed (ConfigError if it is not one)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"RESULTS_CSV: file not found: {path}")
    try:
        with path.open(newline="") as fh:
            text = fh.read()
    except UnicodeDecodeError:
        raise ConfigError(f"RESULTS_CSV: {path.name} is not a text file (give the results.csv "
                          "written by evaluate)") from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in _NEEDED if c not in (reader.fieldnames or [])]
    if missing:
        raise ConfigError(f"RESULTS_CSV: {path.name} is not a chanest results table "
                          f"(missing column {missing[0]!r})")
    rows = []
    for row in reader:
        parsed = {}
        for key, value in row.items():
            if key in ("estimator", "model"):
                parsed[key] = value
            elif key == "is_bound":
                parsed[key] = value.strip().lower() == "true"
            else:
                try:
                    parsed[key] = float(value)
                except ValueError:
                    parsed[key] = float("nan")
        if "err_var_db" in parsed and "mse_db" in parsed:
            parsed["calibration_db"] = parsed["err_var_db"] - parsed["mse_db"]
        rows.append(parsed)
    if not rows:
        raise ConfigError(f"RESULTS_CSV: {path.name} has no rows")
    return rows


def _title(csv_path: Path) -> str:
    meta = csv_path.with_name("results.json")
    try:
        scenario = json.loads(meta.read_text())["scenario"]
        grid, pilots = scenario["grid"], scenario["pilots"]
        return (f"{grid['num_subcarriers']}x{grid['num_symbols']}, "
                f"{grid['subcarrier_spacing'] / 1e3:g} kHz, pilots {pilots['pattern']}")
    except (OSError, KeyError, TypeError, ValueError):
        return ""


def _save(fig, stem: Path, fmt: str) -> Path:
    import matplotlib

    path = stem.with_name(f"{stem.name}.{fmt}")
    tmp = stem.with_name(f".{stem.name}.{os.getpid()}.{fmt}.tmp")
    try:
        with matplotlib.rc_context({k: v for k, v in RC.items() if k.endswith("fonttype")}):
            fig.savefig(tmp, format=fmt, bbox_inches="tight", dpi=300)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def plot_results(csv_path: str | Path, out: str | Path, metric: str = "nmse",
                 model: str | None = None, estimators: list[str] | None = None,
                 labels: dict[str, str] | None = None, title: str | None = None,
                 size: str = "single") -> list[Path]:
    """Draw ``out.pdf`` and ``out.png`` (or exactly ``out`` for a .pdf/.png/.svg name, or
    ``out/<metric>.pdf`` and ``.png`` for an existing folder) from a results table.

    Args:
        csv_path: ``results.csv`` written by :func:`chanest.evaluate.write_results`.
        out: figure path without extension, a file name with a format suffix, or a folder.
        metric: one of :data:`METRICS`.
        model: draw only this model group (default: every group, one panel each,
            sharing the axes).
        estimators: draw only these, in this order (default: all, table order).
        labels: legend labels {estimator: label} (default: the estimator's name).
        title: the figure title; ``""`` for none (default: grid and pilots).
        size: ``single`` (3.5 in, IEEE column), ``double`` (7.16 in) or ``screen``.

    Returns:
        the paths written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if metric not in METRICS:
        raise ConfigError(f"--metric: expected one of {', '.join(METRICS)}, got {metric!r}")
    csv_path = Path(csv_path)
    rows = read_results(csv_path)
    column, ylabel = METRICS[metric]
    if column not in rows[0]:
        raise ConfigError(f"RESULTS_CSV: {csv_path.name} has no column {column!r}")
    models = list(dict.fromkeys(r["model"] for r in rows))
    if model is not None:
        if model not in models:
            raise ConfigError(f"--model: {model!r} is not in the table; it has "
                              f"{', '.join(models)}")
        models = [model]
    stem = Path(out)
    formats = ["pdf", "png"]
    if stem.is_dir():  # a folder: <folder>/<metric>.pdf and .png
        stem = stem / metric
    elif stem.suffix.lower() in (".pdf", ".png", ".svg"):  # exactly that file
        formats = [stem.suffix.lower()[1:]]
        stem = stem.with_suffix("")
    if stem.parent.exists() and not stem.parent.is_dir():
        raise ConfigError(f"--out: {stem.parent} is not a directory")
    stem.parent.mkdir(parents=True, exist_ok=True)

    names = list(dict.fromkeys(r["estimator"] for r in rows))
    if estimators:
        missing = [e for e in estimators if e not in names]
        if missing:
            raise ConfigError(f"--estimators: {missing[0]!r} is not in the table; it has "
                              f"{', '.join(names)}")
        names = list(estimators)
    if size not in SIZES:
        raise ConfigError(f"--size: expected one of {', '.join(SIZES)}, got {size!r}")
    labels = labels or {}
    cols = min(len(models), 2 if size == "single" else 3)
    rows_n = -(-len(models) // cols)
    w, h = SIZES[size]
    with plt.rc_context(RC):
        fig, axes = plt.subplots(rows_n, cols, figsize=(w, h * rows_n / (1 if cols == 1 else
                                 1.3)), squeeze=False, sharex=True, sharey=True)
        heading = _title(csv_path) if title is None else title
        neural = [n for n in names if n.startswith(("ckpt:", "pretrained:"))]
        for ax, grp in zip(axes.flat, models):
            for name in names:
                pts = sorted((r for r in rows if r["estimator"] == name and r["model"] == grp),
                             key=lambda r: r["snr_db"])
                if not pts:
                    continue
                bound = pts[0]["is_bound"]
                style = style_for(name, bound, neural.index(name) if name in neural else 0)
                x = [r["snr_db"] for r in pts]
                # the genie bounds nmse and mse, not per-grid ratios (nmse-ps) or calibration
                tag = (" (bound)" if metric in ("nmse", "mse") else " (genie)") if bound else ""
                ax.plot(x, [r[column] for r in pts],
                        label=labels.get(name, display_name(name)) + tag, **style)
                lo, hi = column + "_lo", column + "_hi"
                if lo in pts[0]:
                    ax.fill_between(x, [r[lo] for r in pts], [r[hi] for r in pts],
                                    color=style["color"], alpha=0.25, linewidth=0,
                                    zorder=style["zorder"] - 0.5)
            if len(models) > 1:
                ax.set_title(f"{grp}")
        for ax in list(axes.flat)[len(models):]:
            ax.set_visible(False)
        for c in range(cols):  # x labels on the lowest visible panel of each column
            lowest = [axes[r, c] for r in range(rows_n) if axes[r, c].get_visible()][-1]
            lowest.xaxis.set_tick_params(labelbottom=True)
            lowest.set_xlabel("SNR [dB]")
        for ax in axes[:, 0]:
            ax.set_ylabel(ylabel)
        if heading:
            fig.suptitle(heading)
        fig.tight_layout()
        handles, texts = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, texts, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                   ncol=2 if size == "single" else 3, frameon=False)  # below, off the data
    try:
        return [_save(fig, stem, fmt) for fmt in formats]
    finally:
        plt.close(fig)
