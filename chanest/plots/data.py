"""Result rows for figures: reading and checking ``results.csv`` files (several at once,
with tags), and selecting models and estimators. The metrics a figure can draw are
:data:`~chanest.plots.metrics.METRICS`; drawing is in :mod:`chanest.plots.results`."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from chanest.estimators.base import ROLES
from chanest.estimators.catalog import parse_name
from chanest.evaluation.results import row_role
from chanest.plots.metrics import METRICS, Metric
from chanest.schema import ConfigError

__all__ = ["X_LABELS", "CI_STYLES", "display_name", "is_network",
           "read_results", "load_tables", "select_rows", "figure_title"]


#: x column → axis label (any other numeric column is labelled by its name)
X_LABELS = {"snr_db": "SNR [dB]", "num_pilots": "pilots per grid",
            "delay_spread_ns": "RMS delay spread [ns]", "doppler_hz": "maximum Doppler [Hz]",
            "ebno_db": "$E_b/N_0$ [dB]", "num_antennas": "receive antennas",
            "asa_deg": "azimuth spread of arrival [deg]"}
CI_STYLES = ("band", "bars", "none")
_NEEDED = ("estimator", "is_bound", "snr_db", "model")
_TEXT = ("estimator", "model", "role")


def _kind(name: str) -> str:
    """The ``PREFIX`` of a ``PREFIX:ARG`` estimator name; "" for any other row name."""
    try:
        return parse_name(name).kind
    except ConfigError:
        return ""


def is_network(name: str) -> bool:
    """Whether a row's estimator is a trained network (``ckpt:``/``pretrained:``)."""
    return _kind(name) != ""


def display_name(name: str) -> str:
    """Legend label: ``ckpt:runs/<run>/best`` → ``<run>``; a per-SNR glob →
    ``<parent> (per SNR)``."""
    if _kind(name) != "ckpt":
        return name
    parts = [p for p in parse_name(name).arg.split("/") if p not in ("best", "")]
    if parts and any(ch in parts[-1] for ch in "*?["):
        return f"{parts[-2] if len(parts) > 1 else 'ckpt'} (per SNR)"
    return parts[-1] if parts else name


def read_results(path: str | Path) -> list[dict]:
    """Rows of a ``results.csv`` with numbers parsed (ConfigError if it is not one).

    Empty cells become NaN; ``is_bound`` accepts ``True``/``true``/``1``. ``role`` (one
    of :data:`~chanest.estimators.base.ROLES`) is the table's, or for tables without it
    (or an empty cell) the catalog's role of the name given ``is_bound``
    (:func:`~chanest.evaluation.results.row_role`). Columns of
    :data:`~chanest.plots.metrics.METRICS` that derive from others are added where their
    inputs are present.
    """
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
    for line, row in enumerate(reader, start=2):
        parsed = {}
        for key, value in row.items():
            if key in _TEXT:
                parsed[key] = value
            elif key == "is_bound":
                parsed[key] = (value or "").strip().lower() in ("true", "1", "yes")
            else:
                try:
                    parsed[key] = float(value)
                except (TypeError, ValueError):
                    parsed[key] = float("nan")
        parsed["role"] = (parsed.get("role") or "").strip() or \
            row_role(parsed["estimator"], parsed["is_bound"])
        if parsed["role"] not in ROLES:
            raise ConfigError(f"RESULTS_CSV: {path.name} line {line}: role must be one of "
                              f"{', '.join(ROLES)}, got {parsed['role']!r}")
        _derive(parsed)
        rows.append(parsed)
    if not rows:
        raise ConfigError(f"RESULTS_CSV: {path.name} has no rows")
    return rows


def _derive(row: dict) -> None:
    """Add the derived metric columns whose inputs the row has."""
    for m in METRICS.values():
        if m.derive is not None and m.column not in row:
            try:
                row[m.column] = float(m.derive(row))
            except KeyError:
                continue
            except (TypeError, ValueError):
                row[m.column] = math.nan


def figure_title(csv_path: Path) -> str:
    meta = csv_path.with_name("results.json")
    try:
        scenario = json.loads(meta.read_text())["scenario"]
        grid, pilots = scenario["grid"], scenario["pilots"]
        return (f"{grid['num_subcarriers']}x{grid['num_symbols']}, "
                f"{grid['subcarrier_spacing'] / 1e3:g} kHz, pilots {pilots['pattern']}")
    except (OSError, KeyError, TypeError, ValueError):
        return ""


def load_tables(paths: list[Path], tags: list[str] | None, metric: Metric, x: str) -> tuple:
    """(rows with ``_file`` set, tags) of every file; checks tags and columns."""
    if not paths:
        raise ConfigError("RESULTS_CSV: give at least one results table")
    if tags and len(tags) != len(paths):
        raise ConfigError(f"give one tag per results file ({len(paths)} files), "
                          f"got {len(tags)}", arg="tags")
    if tags is None or not tags:
        tags = [p.parent.name or p.stem for p in paths] if len(paths) > 1 else [""]
        if len(set(tags)) < len(tags):
            tags = [str(p) for p in paths]
    if len(set(tags)) < len(tags):
        raise ConfigError(f"the tags must differ, got {', '.join(tags)}", arg="tags")
    rows = []
    for i, path in enumerate(paths):
        table = read_results(path)
        for col in (metric.column, x):
            if col not in table[0]:
                hint = f" ({metric.hint})" if col == metric.column and metric.hint else ""
                arg = "x" if col == x and col != metric.column else "metric"
                raise ConfigError(f"{path.name} has no column {col!r}{hint}", arg=arg)
        rows += [dict(r, _file=i) for r in table]
    return rows, tags


def select_rows(rows: list[dict], model: str | None, estimators: list[str] | None):
    models = list(dict.fromkeys(r["model"] for r in rows))
    if model is not None:
        if model not in models:
            raise ConfigError(f"{model!r} is not in the table; it has "
                              f"{', '.join(models)}", arg="model")
        models = [model]
    names = list(dict.fromkeys(r["estimator"] for r in rows))
    if estimators:
        missing = [e for e in estimators if e not in names]
        if missing:
            raise ConfigError(f"{missing[0]!r} is not in the table; it has "
                              f"{', '.join(names)}", arg="estimators")
        names = list(estimators)
    return models, names
