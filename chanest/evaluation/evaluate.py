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

import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from chanest.data.context import check_compatible
from chanest.estimators.base import estimate_bounded, observe
from chanest.estimators.registry import build_estimator, describe, role_of
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
from chanest.metrics import mean_db, ratio_db, sample_errors, to_db
from chanest.schema import ConfigError, argument_named
from chanest.versions import versions

__all__ = ["EvaluationResult", "evaluate", "write_results", "evaluate_to_dir", "RESULT_COLUMNS",
           "PAIRED_COLUMNS", "RESULTS_SCHEMA", "METRIC_DEFINITIONS", "RESULT_FILES",
           "refuse_existing_results"]

#: distinct SNR values above which SNRs are binned (continuous SNR ranges)
MAX_SNR_VALUES = 64

def _snr_groups(snr: np.ndarray, bin_db: float | None) -> np.ndarray:
    """SNR label per sample: exact values, or bins when they are many (continuous ranges)."""
    if bin_db is None and len(np.unique(snr)) <= MAX_SNR_VALUES:
        return snr.astype(np.float64)
    step = bin_db or 1.0
    return np.round(snr / step) * step


def _dataset_info(data) -> dict:
    return {"paths": [str(p) for p in getattr(data, "paths", [])],
            "fingerprint": getattr(data, "fingerprint", None), "num_samples": len(data)}


def _run(dataset, names, estimators, device, batch_size, progress, memory_bytes):
    """One pass over the dataset, every estimator on every batch.

    Returns:
        per-sample errors {name: {metric: [n]}}, snr [n], model index [n], seconds per name.
    """
    keys = ("mse", "err", "power", "nmse", "err_var")
    per = {n: {k: [] for k in keys} for n in names}
    snr, model = [], []
    seconds = dict.fromkeys(names, 0.0)
    bar = tqdm(total=len(dataset), unit="grid", disable=not progress, desc="evaluate",
               dynamic_ncols=True)
    done = 0
    with torch.no_grad():
        for batch in dataset.iter_batches(batch_size, device):
            bad = ~(torch.isfinite(batch.y).flatten(1).all(1) & torch.isfinite(batch.no)
                    & (batch.no > 0))
            if bad.any():
                first = done + int(torch.nonzero(bad)[0])
                raise ConfigError(f"grid {first} holds a non-finite pilot "
                                  "observation or noise variance (y, no must be finite, "
                                  "no > 0)", arg="dataset")
            done += len(batch)
            obs = observe(batch)
            for name, est in zip(names, estimators):
                start = time.perf_counter()
                out = estimate_bounded(est, obs, memory_bytes)
                seconds[name] += time.perf_counter() - start
                errs = sample_errors(batch.h, out.h_hat, out.err_var)
                for key in keys:
                    per[name][key].append(getattr(errs, key))
            snr.append(batch.snr_db.cpu().numpy())
            model.append(batch.model.cpu().numpy())
            bar.update(len(batch))
    bar.close()
    per_sample = {n: {k: np.concatenate(v) for k, v in d.items()} for n, d in per.items()}
    return per_sample, np.concatenate(snr), np.concatenate(model), seconds


def _summary_row(name: str, is_bound: bool, snr: float, model: str, d: dict, sel: np.ndarray,
                 level: float) -> dict:
    """One results row from per-sample errors ``d`` restricted to ``sel``."""
    mse, ps = mean_db(d["mse"][sel], level), mean_db(d["nmse"][sel], level)
    nmse = ratio_db(d["err"][sel], d["power"][sel], level)
    return dict(estimator=name, is_bound=is_bound, snr_db=snr, model=model, n=int(sel.sum()),
                mse=float(d["mse"][sel].mean()), mse_db=mse.db, mse_db_lo=mse.lo,
                mse_db_hi=mse.hi, nmse_db=nmse.db, nmse_db_lo=nmse.lo, nmse_db_hi=nmse.hi,
                nmse_ps_db=ps.db, nmse_ps_db_lo=ps.lo, nmse_ps_db_hi=ps.hi,
                err_var_db=to_db(d["err_var"][sel].mean()))


def _summarise(names, estimators, per_sample, snr_g, model_g, labels, reference, level):
    """Rows per estimator × model group × SNR, and paired deltas against ``reference``."""
    groups = (["all"] if len(labels) > 1 else []) + list(labels)
    rows, paired = [], []
    for name, est in zip(names, estimators):
        d = per_sample[name]
        for grp in groups:
            in_model = np.ones(len(snr_g), bool) if grp == "all" else model_g == grp
            for value in np.unique(snr_g[in_model]):
                sel = in_model & (snr_g == value)
                rows.append(_summary_row(name, bool(est.is_bound), float(value), grp, d, sel,
                                         level))
                if name == reference:
                    continue
                delta = ratio_db(d["err"][sel], per_sample[reference]["err"][sel], level)
                paired.append(dict(estimator=name, reference=reference, snr_db=float(value),
                                   model=grp, n=int(sel.sum()), delta_nmse_db=delta.db,
                                   delta_nmse_db_lo=delta.lo, delta_nmse_db_hi=delta.hi))
    return rows, paired


def _provenance(dataset, fit_dataset, names, estimators, options, seconds, device, batch_size,
                level, reference, snr_bin_db) -> dict:
    def entry(name, est):
        rate = round(len(dataset) / seconds[name], 1) if seconds[name] else None
        return {"name": name, "is_bound": bool(est.is_bound), "description": describe(name),
                "options": options.get(name, {}),
                **(est.provenance() if hasattr(est, "provenance") else {}),
                "seconds": round(seconds[name], 3), "grids_per_s": rate}

    return {
        "schema": RESULTS_SCHEMA, "schema_version": 1,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "dataset": _dataset_info(dataset),
        "fit_dataset": _dataset_info(fit_dataset) if fit_dataset is not None else None,
        "scenario": dataset.scenario.to_dict(),
        "estimators": [entry(n, e) for n, e in zip(names, estimators)],
        "evaluation": {"device": str(device), "batch_size": batch_size, "confidence": level,
                       "reference": reference, "snr_bin_db": snr_bin_db,
                       "metrics": METRIC_DEFINITIONS},
        "versions": versions(),
    }


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
    if batch_size < 1:
        raise ConfigError(f"must be >= 1, got {batch_size}", arg="batch_size")
    if not memory_gb > 0:
        raise ConfigError(f"must be > 0, got {memory_gb}", arg="memory_gb")
    if len(dataset) == 0:
        raise ConfigError("the dataset holds no grids", arg="dataset")
    if not names:
        raise ConfigError("give at least one estimator", arg="names")
    options = options or {}
    ctx = dataset.context()
    estimators = [build_estimator(n, ctx, device, **options.get(n, {})) for n in names]
    if fit_dataset is not None:
        check_compatible(fit_dataset.context(), ctx, ("the training data", "the test data"),
                         arg="fit_dataset")
        for est in estimators:
            est.fit(fit_dataset)
    per_sample, snr, model, seconds = _run(dataset, names, estimators, device, batch_size,
                                           progress, memory_gb * 2**30)
    snr_g = _snr_groups(snr, snr_bin_db)
    model_g = np.array(list(dataset.labels), dtype=object)[model]
    reference = next((n for n in names if role_of(n) == "bound"), names[0])
    rows, paired = _summarise(names, estimators, per_sample, snr_g, model_g, dataset.labels,
                              reference, level)
    provenance = _provenance(dataset, fit_dataset, names, estimators, options, seconds, device,
                             batch_size, level, reference, snr_bin_db)
    return EvaluationResult(rows, paired, provenance, per_sample, snr_g, model_g)


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
    from chanest.data.dataset import open_dataset
    from chanest.data.userview import user_view
    from chanest.estimators.registry import parse_estimator_names

    if isinstance(names, str):
        names = parse_estimator_names(names)
    out = check_out_dir(out_dir)
    with argument_named("paths", "data"):
        dataset = open_dataset(data)
    with dataset:
        with argument_named("paths", "fit_data"):
            fit = open_dataset(fit_data) if fit_data else None
        try:
            if user is not None:
                dataset = user_view(dataset, user)
                fit = None if fit is None else user_view(fit, user, arg="fit_data")
            result = (runner or evaluate)(dataset, list(names), device=device,
                                          batch_size=batch_size, progress=progress,
                                          fit_dataset=fit, snr_bin_db=snr_bin_db,
                                          memory_gb=memory_gb)
            if user is not None:
                result.provenance["dataset"]["user"] = user
        finally:
            if fit is not None:
                fit.close()
    return result, write_results(result, out)
