"""An evaluation split over processes: shards of the test grids, merged into one result.

``evaluate --shard i/n`` evaluates shard i of n: a contiguous range of whole batches of
the test set (batches [i·B/n, (i+1)·B/n) of its B batches; with an SNR list cycled per
grid every range holds every SNR alike), and writes ``shard-<i>of<n>.npz`` into the
output folder: every grid's errors per estimator, its dataset index, SNR and model
label, and the run's description (JSON text). NumPy arrays only; reading never unpickles.

``evaluate --merge DIR...`` reads the shard files of those folders, checks that they are
the n shards of one evaluation (same dataset, estimators and settings; each shard once),
and tabulates them exactly as one process over the whole dataset does: the same grids
through the same batches give the same per-grid errors, so ``results.csv`` and
``paired.csv`` are identical to that process's. ``results.json`` is its provenance with
the estimators' times summed over the shards and the shards listed.
"""

from __future__ import annotations

import glob
import json
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from chanest.data.writer import ShardSpec
from chanest.evaluation.core import ERROR_KEYS, EvaluationCore
from chanest.evaluation.evaluate import opened_data, reference_of, tabulate
from chanest.evaluation.results import EvaluationResult, check_out_dir, write_results
from chanest.fileio import atomic_write
from chanest.schema import ConfigError

__all__ = ["SHARD_SCHEMA", "shard_file", "shard_grids", "evaluate_shard",
           "evaluate_shard_to_dir", "merge_shards", "merge_to_dir"]

SHARD_SCHEMA = "chanest-evaluation-shard"
_PATTERN = "shard-*of*.npz"


def shard_file(out_dir: str | Path, shard: ShardSpec) -> Path:
    """Where shard ``shard`` of an evaluation is written in ``out_dir``."""
    return Path(out_dir) / f"shard-{shard.index}of{shard.count}.npz"


def shard_grids(num_grids: int, batch_size: int, shard: ShardSpec) -> tuple[int, int]:
    """(first, stop): the grids of ``shard``, whole batches of ``batch_size``."""
    batches = math.ceil(num_grids / batch_size)
    if shard.count > batches:
        raise ConfigError(f"{shard.count} shards but the dataset has only {batches} batches "
                          f"of {batch_size} grids (use fewer shards or a smaller "
                          "--batch-size)", arg="shard")
    lo, hi = shard.chunk_range(batches)
    return lo * batch_size, min(hi * batch_size, num_grids)


def evaluate_shard(dataset, names: list[str], shard: ShardSpec, device: str = "cpu",
                   batch_size: int = 256, progress: bool = True, fit_dataset=None,
                   snr_bin_db: float | None = None, memory_gb: float = 4.0,
                   level: float = 0.95) -> dict[str, np.ndarray]:
    """Shard ``shard`` of an evaluation (arguments as :func:`~chanest.evaluation.evaluate.
    evaluate`): the arrays of its shard file (module docstring)."""
    first, stop = shard_grids(len(dataset), batch_size, shard)
    core = EvaluationCore(dataset, names, device, batch_size, fit_dataset,
                          memory_gb=memory_gb, grids=(first, stop))
    core.run(progress)
    provenance = core.provenance(level, reference_of(names), snr_bin_db)
    provenance["shard"] = {"index": shard.index, "count": shard.count, "grids": [first, stop]}
    record = {"schema": SHARD_SCHEMA, "schema_version": 1, "names": list(names),
              "bounds": [bool(e.is_bound) for e in core.estimators],
              "labels": list(dataset.labels), "snr_bin_db": snr_bin_db, "level": level,
              "provenance": provenance}
    grids = core.grids()
    arrays = {"record": np.array(json.dumps(record, default=str)), "index": grids.index,
              "snr_db": grids.snr_db, "model": grids.model.astype(str)}
    for i, errors in enumerate(core.errors.arrays()[n] for n in names):
        arrays.update({f"errors_{i}_{key}": errors[key] for key in ERROR_KEYS})
    return arrays


def evaluate_shard_to_dir(data, names: list[str], out_dir: str | Path, shard: ShardSpec,
                          device: str = "cpu", batch_size: int = 256, progress: bool = True,
                          fit_data=None, snr_bin_db: float | None = None,
                          memory_gb: float = 4.0, user: int | None = None,
                          overwrite: bool = False) -> Path:
    """Open the dataset, evaluate shard ``shard``, write its file into ``out_dir``."""
    path = shard_file(check_out_dir(out_dir), shard)
    if path.exists() and not overwrite:
        raise ConfigError(f"{path} exists; pass --overwrite to replace it", arg="out_dir")
    with opened_data(data, fit_data, user) as (dataset, fit):
        arrays = evaluate_shard(dataset, list(names), shard, device, batch_size, progress,
                                fit, snr_bin_db, memory_gb)
    if user is not None:
        record = json.loads(str(arrays["record"]))
        record["provenance"]["dataset"]["user"] = user
        arrays["record"] = np.array(json.dumps(record, default=str))
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def _read(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """(record, arrays) of a shard file; ConfigError when it is not one."""
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
        record = json.loads(str(arrays.pop("record")))
    except (OSError, ValueError, KeyError):
        raise ConfigError(f"{path} is not an evaluation shard file", arg="merge") from None
    if record.get("schema") != SHARD_SCHEMA or record.get("schema_version") != 1:
        raise ConfigError(f"{path} is not an evaluation shard file (schema "
                          f"{record.get('schema')!r})", arg="merge")
    return record, arrays


def _shard_files(dirs) -> list[Path]:
    """The shard files in the folders ``dirs`` (paths or globs of folders)."""
    folders = [Path(m) for d in dirs for m in (sorted(glob.glob(str(d))) or [d])]
    missing = [f for f in folders if not Path(f).is_dir()]
    if missing:
        raise ConfigError(f"{missing[0]} is not a folder", arg="merge")
    files = sorted({p for f in folders for p in Path(f).glob(_PATTERN)})
    if not files:
        raise ConfigError(f"no {_PATTERN} in {', '.join(map(str, folders))}", arg="merge")
    return files


def _same_run(record: dict) -> dict:
    """What every shard of one evaluation shares."""
    p = record["provenance"]
    return {"names": record["names"], "bounds": record["bounds"], "labels": record["labels"],
            "snr_bin_db": record["snr_bin_db"], "level": record["level"],
            "dataset": p["dataset"], "fit_dataset": p["fit_dataset"],
            "scenario": p["scenario"], "shards": p["shard"]["count"],
            "evaluation": {k: v for k, v in p["evaluation"].items() if k != "device"}}


def _ordered_shards(files: list[Path]) -> list[tuple[Path, dict, dict]]:
    """(file, record, arrays) of each shard, in shard order; ConfigError unless they are
    every shard of one evaluation, once each."""
    shards = [(f, *_read(f)) for f in files]
    first, base = shards[0][0], _same_run(shards[0][1])
    by_index: dict[int, tuple] = {}
    for f, record, arrays in shards:
        if _same_run(record) != base:
            differs = next(k for k, v in _same_run(record).items() if base[k] != v)
            raise ConfigError(f"{f} and {first} come from different evaluations (their "
                              f"{differs} differ)", arg="merge")
        index = record["provenance"]["shard"]["index"]
        if index in by_index:
            raise ConfigError(f"shard {index}/{base['shards']} given twice ({by_index[index][0]} "
                              f"and {f})", arg="merge")
        by_index[index] = (f, record, arrays)
    absent = [i for i in range(base["shards"]) if i not in by_index]
    if absent:
        raise ConfigError(f"shard {absent[0]}/{base['shards']} is missing "
                          f"({len(by_index)} of {base['shards']} found)", arg="merge")
    return [by_index[i] for i in range(base["shards"])]


def _provenance(records: list[dict], num_grids: int) -> dict:
    """One process's ``results.json`` description from the shards': times summed, the
    shards listed."""
    out = json.loads(json.dumps(records[0]["provenance"]))
    out.pop("shard")
    out["created"] = datetime.now(UTC).isoformat(timespec="seconds")
    devices = list(dict.fromkeys(r["provenance"]["evaluation"]["device"] for r in records))
    out["evaluation"]["device"] = ", ".join(devices)
    for i, entry in enumerate(out["estimators"]):
        seconds = sum(r["provenance"]["estimators"][i]["seconds"] for r in records)
        entry["seconds"] = round(seconds, 3)
        entry["grids_per_s"] = round(num_grids / seconds, 1) if seconds else None
    out["shards"] = [{**r["provenance"]["shard"], "device": r["provenance"]["evaluation"][
        "device"], "created": r["provenance"]["created"]} for r in records]
    return out


def merge_shards(dirs) -> EvaluationResult:
    """The result one process over the whole dataset gives, from the shard files in the
    folders ``dirs`` (module docstring)."""
    shards = _ordered_shards(_shard_files(dirs))
    records = [record for _, record, _ in shards]
    arrays = [a for _, _, a in shards]
    index = np.concatenate([a["index"] for a in arrays])
    num_grids = records[0]["provenance"]["dataset"]["num_samples"]
    if not np.array_equal(index, np.arange(num_grids)):
        raise ConfigError(f"the shards hold grids {index[:1].tolist()}… ({len(index)} of "
                          f"{num_grids}), not every grid once in order", arg="merge")
    names = records[0]["names"]
    per_sample = {n: {key: np.concatenate([a[f"errors_{i}_{key}"] for a in arrays])
                      for key in ERROR_KEYS} for i, n in enumerate(names)}
    first = records[0]
    return tabulate(names, first["bounds"], per_sample,
                    np.concatenate([a["snr_db"] for a in arrays]),
                    np.concatenate([a["model"] for a in arrays]), first["labels"],
                    _provenance(records, num_grids), first["snr_bin_db"], first["level"])


def merge_to_dir(dirs, out_dir: str | Path) -> tuple[EvaluationResult, dict[str, Path]]:
    """Merge the shards in ``dirs`` and write the tables into ``out_dir``."""
    result = merge_shards(dirs)
    return result, write_results(result, out_dir)
