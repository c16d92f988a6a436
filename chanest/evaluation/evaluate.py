"""SNR sweep → tidy results table (CSV) + provenance (JSON).

Every estimator sees the *same* grids (one pass over the dataset, all estimators
per batch), so differences between estimators are paired. Per-sample errors are
kept and summarised per (estimator, SNR, channel model) with 95 % confidence
intervals (see :mod:`chanest.metrics` for the definitions):

* ``results.csv``: one row per estimator × SNR × model group (``all`` is added
  when the dataset mixes several models);
* ``paired.csv``: NMSE of each estimator relative to a reference on the same grids
  (the genie bound if evaluated, else the first estimator);
* ``results.json``: provenance — dataset paths and fingerprint, resolved scenario,
  estimators with the statistics they used, metric definitions, package versions.

Files are written to a temporary name and renamed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from chanest.estimators.registry import role_of
from chanest.evaluation.core import EvaluationCore
from chanest.evaluation.results import (  # re-exported: the results' public names live here too
    METRIC_DEFINITIONS,
    PAIRED_COLUMNS,
    RESULT_COLUMNS,
    RESULT_FILES,
    RESULTS_SCHEMA,
    EvaluationResult,
    check_out_dir,
    refuse_existing_results,
    write_results,
)
from chanest.evaluation.summary import snr_groups, summarise
from chanest.schema import argument_named

__all__ = ["EvaluationResult", "evaluate", "write_results", "evaluate_to_dir", "RESULT_COLUMNS",
           "PAIRED_COLUMNS", "RESULTS_SCHEMA", "METRIC_DEFINITIONS", "RESULT_FILES",
           "refuse_existing_results", "reference_of", "tabulate", "opened_data"]


def reference_of(names: list[str]) -> str:
    """The estimator paired differences are taken against: the first bound, else the first."""
    return next((n for n in names if role_of(n) == "bound"), names[0])


def tabulate(names: list[str], bounds: list[bool], per_sample: dict, snr_db: np.ndarray,
             model: np.ndarray, labels, provenance: dict, snr_bin_db: float | None,
             level: float) -> EvaluationResult:
    """The result of per-grid errors: rows per estimator × model group × SNR group and the
    paired differences to ``provenance``'s reference estimator.

    Args:
        names, bounds: the estimators and whether each was a bound.
        per_sample: {name: {metric: [n]}} (:class:`~chanest.metrics.SampleErrors`' fields).
        snr_db, model: [n] each grid's SNR [dB] and model label.  labels: the dataset's.
    """
    snr_g = snr_groups(snr_db, snr_bin_db)
    reference = provenance["evaluation"]["reference"]
    rows, paired = summarise(names, [SimpleNamespace(is_bound=b) for b in bounds], per_sample,
                             snr_g, model, labels, reference, level)
    return EvaluationResult(rows, paired, provenance, per_sample, snr_g, model)


def evaluate(dataset, names: list[str], device: str = "cpu", batch_size: int = 256,
             progress: bool = True, fit_dataset=None, options: dict[str, dict] | None = None,
             snr_bin_db: float | None = None, level: float = 0.95,
             memory_gb: float = 4.0) -> EvaluationResult:
    """Evaluate estimators on every grid of a dataset.

    Args:
        dataset: a :class:`~chanest.data.dataset.ChannelDataset` (or the same protocol:
            ``context()``, ``iter_batches``, ``len``, ``scenario``, ``labels``).
        names: registered estimator names.
        device: where estimators run.  batch_size: grids per batch.
        fit_dataset: optional training dataset passed to every estimator's ``fit``.
        options: optional {name: {option: value}} for :func:`build_estimator`.
        snr_bin_db: bin SNRs to this step [dB] (default: exact values, 1 dB bins
            if there are more than 64 distinct values).
        memory_gb: working-memory budget per estimator call; a batch is split into
            sub-batches by each estimator's ``bytes_per_grid`` (results are unchanged).

    Returns:
        :class:`EvaluationResult`.
    """
    core = EvaluationCore(dataset, names, device, batch_size, fit_dataset, options, memory_gb)
    core.run(progress)
    grids = core.grids()
    return tabulate(names, [bool(e.is_bound) for e in core.estimators], core.errors.arrays(),
                    grids.snr_db, grids.model, dataset.labels,
                    core.provenance(level, reference_of(names), snr_bin_db), snr_bin_db, level)


@contextmanager
def opened_data(data, fit_data=None, user: int | None = None) -> Iterator[tuple]:
    """(test dataset, training dataset or None) opened from paths or globs; with ``user``,
    that user's views of multi-user data (:mod:`chanest.data.userview`). Closed on exit."""
    from chanest.data.dataset import open_dataset
    from chanest.data.userview import user_view

    with argument_named("paths", "data"):
        dataset = open_dataset(data)
    with dataset:
        with argument_named("paths", "fit_data"):
            fit = open_dataset(fit_data) if fit_data else None
        try:
            if user is not None:
                dataset = user_view(dataset, user)
                fit = None if fit is None else user_view(fit, user, arg="fit_data")
            yield dataset, fit
        finally:
            if fit is not None:
                fit.close()


def evaluate_to_dir(data, names, out_dir: str | Path, device: str = "cpu",
                    batch_size: int = 256, progress: bool = True, fit_data=None,
                    snr_bin_db: float | None = None, memory_gb: float = 4.0,
                    runner=None, user: int | None = None
                    ) -> tuple[EvaluationResult, dict[str, Path]]:
    """Open dataset file(s), evaluate, write the tables into ``out_dir``.

    Args:
        data: dataset path, glob or list of them.  names: list of names or ``"a,b,c"``.
        fit_data: optional training dataset path(s) for ``fit``.
        runner: the evaluation to run, with :func:`evaluate`'s signature (default
            :func:`evaluate`; e.g. a partial of :func:`chanest.link.evaluate.evaluate_link`).
        user: with multi-user data, evaluate only this user (its view, as single-user
            data; :mod:`chanest.data.userview`); None evaluates every user.

    Returns:
        (result, written paths).
    """
    from chanest.estimators.registry import parse_estimator_names

    if isinstance(names, str):
        names = parse_estimator_names(names)
    out = check_out_dir(out_dir)
    with opened_data(data, fit_data, user) as (dataset, fit):
        result = (runner or evaluate)(dataset, list(names), device=device,
                                      batch_size=batch_size, progress=progress,
                                      fit_dataset=fit, snr_bin_db=snr_bin_db,
                                      memory_gb=memory_gb)
        if user is not None:
            result.provenance["dataset"]["user"] = user
    return result, write_results(result, out)
