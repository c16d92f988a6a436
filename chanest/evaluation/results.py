"""Evaluation results: the tables' columns, the summary record, and writing them.

``results.csv`` (one row per estimator × SNR × model group, :data:`RESULT_COLUMNS`;
``role`` is the row's :func:`row_role`),
``paired.csv`` (:data:`PAIRED_COLUMNS`) and ``results.json`` (provenance) are written
to temporary names and renamed. :class:`EvaluationResult` also renders the NMSE
table for the terminal (:meth:`~EvaluationResult.table`) and Markdown.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from chanest.estimators.catalog import role_of
from chanest.fileio import atomic_write
from chanest.schema import ConfigError

__all__ = ["EvaluationResult", "RESULT_COLUMNS", "PAIRED_COLUMNS", "RESULTS_SCHEMA",
           "METRIC_DEFINITIONS", "RESULT_FILES", "write_results", "refuse_existing_results",
           "check_out_dir", "row_role"]

RESULTS_SCHEMA = "chanest-results"
RESULT_COLUMNS = ["estimator", "is_bound", "role", "snr_db", "model", "n", "mse", "mse_db",
                  "mse_db_lo", "mse_db_hi", "nmse_db", "nmse_db_lo", "nmse_db_hi", "nmse_ps_db",
                  "nmse_ps_db_lo", "nmse_ps_db_hi", "err_var_db"]
PAIRED_COLUMNS = ["estimator", "reference", "snr_db", "model", "n", "delta_nmse_db",
                  "delta_nmse_db_lo", "delta_nmse_db_hi"]
METRIC_DEFINITIONS = {
    "mse_db": "10log10(mean over grids of the per-RE MSE)",
    "nmse_db": "10log10(sum over grids of |h-h_hat|^2 / sum of |h|^2); bounded by genie-*",
    "nmse_ps_db": "10log10(mean over grids of |h-h_hat|^2/|h|^2); not bounded by genie-*",
    "err_var_db": "10log10(mean reported err_var)",
    "delta_nmse_db": "nmse_db(estimator) - nmse_db(reference) on the same grids",
    "ci": "95% normal approximation, delta method on the log scale (paired for deltas)",
}


def row_role(name: str, is_bound: bool) -> str:
    """The role of a results row from its estimator name and ``is_bound``: a bound only
    where the catalog makes the name one and the instance was one; a row recorded as a
    bound otherwise (``perfect-csi``), or a bound's name that was not one, is a
    reference; other names keep the catalog's role (practical for names outside it)."""
    try:
        role = role_of(name)
    except ConfigError:
        role = "practical"
    if role == "bound" or is_bound:
        return "bound" if role == "bound" and is_bound else "reference"
    return role


@dataclass
class EvaluationResult:
    """Summary rows and provenance of one evaluation."""

    rows: list[dict]
    paired: list[dict]
    provenance: dict
    #: {estimator: {"mse"|"err"|"power"|"nmse"|"err_var": [n]}} in dataset order
    per_sample: dict[str, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)
    #: [n] SNR group [dB] and model label of every grid
    snr_group: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    model_group: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    #: columns of results.csv (link metrics add theirs)
    columns: list[str] = field(default_factory=lambda: list(RESULT_COLUMNS), repr=False)

    def __post_init__(self):
        if "role" in self.columns:
            for row in self.rows:
                row.setdefault("role", row_role(row["estimator"], bool(row["is_bound"])))

    def _pivot(self):
        """Per model group: (model, column heads, [(snr, cells)]) of NMSE ± CI half-width."""
        names = list(dict.fromkeys(r["estimator"] for r in self.rows))
        for model in dict.fromkeys(r["model"] for r in self.rows):
            cell = {(r["estimator"], r["snr_db"]): r for r in self.rows if r["model"] == model}
            snrs = sorted({snr for _, snr in cell})
            heads = [n + (" (bound)" if cell[(n, snrs[0])]["is_bound"] else "") for n in names]
            yield model, heads, [(snr, [_pm(cell[(n, snr)]) for n in names]) for snr in snrs]

    def table(self) -> str:
        """NMSE [dB] (± CI half-width) per SNR, one column per estimator, per model group."""
        out = io.StringIO()
        for model, heads, lines in self._pivot():
            width = max(13, *(len(h) for h in heads))
            out.write(f"NMSE [dB], model {model}\n")
            out.write(f"{'SNR [dB]':>8}  " + "  ".join(f"{h:>{width}}" for h in heads) + "\n")
            for snr, cells in lines:
                out.write(f"{snr:>8g}  " + "  ".join(f"{c:>{width}}" for c in cells) + "\n")
            out.write("\n")
        return out.getvalue().rstrip() + "\n"

    def markdown(self) -> str:
        """The same table in Markdown, estimators as rows and SNRs as columns."""
        out = []
        for model, heads, lines in self._pivot():
            out.append(f"NMSE [dB] ± 95% CI half-width, model {model}:\n")
            out.append("| estimator | " + " | ".join(f"{snr:g} dB" for snr, _ in lines) + " |")
            out.append("|---|" + "---:|" * len(lines))
            for i, head in enumerate(heads):
                out.append(f"| {head} | " + " | ".join(cells[i] for _, cells in lines) + " |")
            out.append("")
        return "\n".join(out)


def _pm(row: dict) -> str:
    """``NMSE ±half-width`` of a results row."""
    return f"{row['nmse_db']:.2f} ±{(row['nmse_db_hi'] - row['nmse_db_lo']) / 2:.2f}"


def _write(path: Path, text: str) -> None:
    with atomic_write(path) as f:
        f.write(text)


def _csv_text(rows: list[dict], columns: list[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    return buf.getvalue()


RESULT_FILES = ("results.csv", "paired.csv", "results.json")


def refuse_existing_results(out_dir: str | Path, overwrite: bool) -> None:
    """ConfigError if ``out_dir`` already holds results and ``overwrite`` is not set."""
    existing = [n for n in RESULT_FILES if (Path(out_dir) / n).exists()]
    if existing and not overwrite:
        raise ConfigError(f"{out_dir} already holds results ({existing[0]}); "
                          "pass --overwrite to replace them or choose another folder",
                          arg="out_dir")


def check_out_dir(out_dir: str | Path) -> Path:
    """``out_dir`` as a Path; ConfigError if it exists and is not a directory."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} exists and is not a directory", arg="out_dir")
    return out


def write_results(result: EvaluationResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``results.csv``, ``paired.csv`` and ``results.json`` into ``out_dir``."""
    out = check_out_dir(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out / "results.csv", "paired": out / "paired.csv",
             "json": out / "results.json"}
    provenance = {**result.provenance,
                  "files": {k: p.name for k, p in paths.items() if k != "json"}}
    _write(paths["csv"], _csv_text(result.rows, result.columns))
    _write(paths["paired"], _csv_text(result.paired, PAIRED_COLUMNS))
    _write(paths["json"], json.dumps(provenance, indent=2, default=str) + "\n")
    return paths


