"""The evaluation core the NMSE sweep and the link level share.

:class:`EvaluationCore` holds the named estimators of one evaluation: built once for the
test dataset's context (a :class:`~chanest.data.userview.UserView` gives one user's
context and per-user batches), a training dataset checked against that context and
passed to every ``fit``. It reads the test grids in batches, in dataset order, runs every
estimator on a batch within a working-memory budget and records each grid's errors
(:class:`ErrorLog`), which grids were estimated (:class:`GridRecord`) and each
estimator's time; :meth:`EvaluationCore.provenance` describes the run for
``results.json``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime

import numpy as np
import torch
from tqdm import tqdm

from chanest.data.batch import Batch
from chanest.data.context import check_compatible
from chanest.estimators.base import Estimate, estimate_bounded, observe
from chanest.estimators.registry import build_estimator, describe
from chanest.evaluation.results import METRIC_DEFINITIONS, RESULTS_SCHEMA
from chanest.metrics import SampleErrors, sample_errors
from chanest.schema import ConfigError
from chanest.versions import versions

__all__ = ["ERROR_KEYS", "ErrorLog", "GridRecord", "EvaluationCore", "check_settings",
           "check_finite", "dataset_info"]

#: the per-sample error arrays of every estimator (the fields of SampleErrors)
ERROR_KEYS = tuple(f.name for f in fields(SampleErrors))


class ErrorLog:
    """Per-grid errors of named estimators, recorded batch by batch."""

    def __init__(self, names: list[str]):
        self._parts = {n: {k: [] for k in ERROR_KEYS} for n in names}

    def add(self, name: str, errors: SampleErrors) -> None:
        """Append one batch's errors ([B] each) of estimator ``name``."""
        for key, part in self._parts[name].items():
            part.append(getattr(errors, key))

    def arrays(self) -> dict[str, dict[str, np.ndarray]]:
        """{name: {"mse"|"err"|"power"|"nmse"|"err_var": [n]}} in the order recorded."""
        return {n: {k: np.concatenate(v) for k, v in d.items()} for n, d in self._parts.items()}


@dataclass
class GridRecord:
    """The grids estimated so far: [n] dataset index, SNR [dB] and model label each."""

    index: np.ndarray
    snr_db: np.ndarray
    model: np.ndarray


def check_settings(dataset, names: list[str], batch_size: int, memory_gb: float) -> None:
    """ConfigError naming the first setting an evaluation cannot run with."""
    if batch_size < 1:
        raise ConfigError(f"must be >= 1, got {batch_size}", arg="batch_size")
    if not memory_gb > 0:
        raise ConfigError(f"must be > 0, got {memory_gb}", arg="memory_gb")
    if len(dataset) == 0:
        raise ConfigError("the dataset holds no grids", arg="dataset")
    if not names:
        raise ConfigError("give at least one estimator", arg="names")


def check_finite(batch: Batch, first: int) -> None:
    """ConfigError at the first grid (dataset index, ``first`` being the batch's first) whose
    pilot observation or noise variance is not finite, or whose noise variance is not > 0."""
    bad = ~(torch.isfinite(batch.y).flatten(1).all(1) & torch.isfinite(batch.no)
            & (batch.no > 0))
    if bad.any():
        grid = first + int(torch.nonzero(bad)[0])
        raise ConfigError(f"grid {grid} holds a non-finite pilot observation or noise "
                          "variance (y, no must be finite, no > 0)", arg="dataset")


def dataset_info(data) -> dict:
    """Paths, fingerprint and size of a dataset, for provenance."""
    return {"paths": [str(p) for p in getattr(data, "paths", [])],
            "fingerprint": getattr(data, "fingerprint", None), "num_samples": len(data)}


@contextmanager
def naming(name: str) -> Iterator[None]:
    """A ConfigError raised while estimator ``name`` fits or estimates (a statistic it
    cannot have on these data) names the estimator unless its message already does."""
    try:
        yield
    except ConfigError as err:
        if err.arg is not None or name in str(err):
            raise
        raise ConfigError(f"estimator {name}: {err}") from None


class EvaluationCore:
    """The named estimators of one evaluation on one test dataset (module docstring).

    Args:
        dataset: the test data (``context()``, ``iter_batches``, ``len``, ``scenario``).
        names: registered estimator names.  device: where estimators run.
        batch_size: grids per batch.
        fit_dataset: optional training dataset passed to every estimator's ``fit``.
        options: optional {name: {option: value}} for :func:`build_estimator`.
        memory_gb: working-memory budget per estimator call (:func:`estimate_bounded`).
        grids: (first, stop): evaluate only these grids of the dataset (default: all).
    """

    def __init__(self, dataset, names: list[str], device: str = "cpu", batch_size: int = 256,
                 fit_dataset=None, options: dict[str, dict] | None = None,
                 memory_gb: float = 4.0, grids: tuple[int, int] | None = None):
        check_settings(dataset, names, batch_size, memory_gb)
        self.grids_range = grids
        self.dataset, self.names, self.device = dataset, list(names), device
        self.batch_size, self.memory_bytes = batch_size, memory_gb * 2**30
        self.fit_dataset, self.options = fit_dataset, options or {}
        self.ctx = dataset.context()
        self.estimators = [build_estimator(n, self.ctx, device, **self.options.get(n, {}))
                           for n in self.names]
        for est in self.estimators:  # the budget of fit() too
            est.memory_bytes = self.memory_bytes
        if fit_dataset is not None:
            self._fit(fit_dataset)
        self.errors = ErrorLog(self.names)
        self.seconds = dict.fromkeys(self.names, 0.0)
        self._index: list[np.ndarray] = []
        self._snr: list[np.ndarray] = []
        self._model: list[np.ndarray] = []

    def _fit(self, fit_dataset) -> None:
        check_compatible(fit_dataset.context(), self.ctx, ("the training data", "the test data"),
                         arg="fit_dataset")
        for name, est in zip(self.names, self.estimators):
            with naming(name):
                est.fit(fit_dataset)

    def batches(self, progress: bool = True, desc: str = "evaluate"
                ) -> Iterator[tuple[np.ndarray, Batch]]:
        """(index [B] of its grids in the dataset, batch) of every batch, in order, on the
        device; ConfigError at a grid that cannot be evaluated (:func:`check_finite`)."""
        span = () if self.grids_range is None else self.grids_range  # iter_batches' start, stop
        first, stop = span or (0, len(self.dataset))
        bar = tqdm(total=stop - first, unit="grid", disable=not progress, desc=desc,
                   dynamic_ncols=True)
        start = first
        try:
            for batch in self.dataset.iter_batches(self.batch_size, self.device, *span):
                check_finite(batch, start)
                index = np.arange(start, start + len(batch))
                start += len(batch)
                yield index, batch
                bar.update(len(batch))
        finally:
            bar.close()

    def estimate(self, index: np.ndarray, batch: Batch,
                 then: Callable[[str, Estimate], None] | None = None) -> None:
        """Every estimator on ``batch`` (grids ``index`` [B] of the dataset), timed, within
        the memory budget; records each grid's errors. ``then(name, estimate)`` runs inside
        the estimator's timing (e.g. a receiver that uses the estimate)."""
        obs = observe(batch)
        for name, est in zip(self.names, self.estimators):
            start = time.perf_counter()
            with naming(name):
                out = estimate_bounded(est, obs, self.memory_bytes)
            if then is not None:
                then(name, out)
            self.seconds[name] += time.perf_counter() - start
            self.errors.add(name, sample_errors(batch.h, out.h_hat, out.err_var))
        self._index.append(index)
        self._snr.append(batch.snr_db.cpu().numpy())
        self._model.append(batch.model.cpu().numpy())

    def run(self, progress: bool = True) -> None:
        """Every estimator on every grid of the dataset."""
        with torch.no_grad():
            for index, batch in self.batches(progress):
                self.estimate(index, batch)

    def grids(self) -> GridRecord:
        """The grids estimated so far, in the order estimated (empty arrays for none)."""
        labels = np.array(list(self.dataset.labels), dtype=object)
        if not self._index:
            return GridRecord(np.zeros(0, np.int64), np.zeros(0), labels[:0])
        return GridRecord(np.concatenate(self._index), np.concatenate(self._snr),
                          labels[np.concatenate(self._model)])

    def provenance(self, level: float, reference: str, snr_bin_db: float | None) -> dict:
        """``results.json`` of the run: data, scenario, estimators, settings, versions."""
        fit = self.fit_dataset
        return {
            "schema": RESULTS_SCHEMA, "schema_version": 1,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "dataset": dataset_info(self.dataset),
            "fit_dataset": dataset_info(fit) if fit is not None else None,
            "scenario": self.dataset.scenario.to_dict(),
            "estimators": [self._entry(n, e) for n, e in zip(self.names, self.estimators)],
            "evaluation": {"device": str(self.device), "batch_size": self.batch_size,
                           "confidence": level, "reference": reference,
                           "snr_bin_db": snr_bin_db, "metrics": METRIC_DEFINITIONS},
            "versions": versions(),
        }

    def _entry(self, name: str, est) -> dict:
        seconds = self.seconds[name]
        rate = round(len(self.dataset) / seconds, 1) if seconds else None
        return {"name": name, "is_bound": bool(est.is_bound), "description": describe(name),
                "options": self.options.get(name, {}),
                **(est.provenance() if hasattr(est, "provenance") else {}),
                "seconds": round(seconds, 3), "grids_per_s": rate}
