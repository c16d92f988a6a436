"""Pretrained models shipped inside the package, loadable as ``pretrained:NAME``.

Each model is three files in this folder: ``NAME.safetensors`` + ``NAME.json`` (a
regular, hash-checked chanest checkpoint, see :mod:`chanest.models.checkpoint`) and
``NAME.card.json``, its model card: the training scenario and command, the
budget it was trained with (samples, epochs, wall time, device) and its
validation NMSE. ``sims/pretrained.sh`` retrains every shipped model from
scratch and writes these files with :func:`ship`.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from chanest.fileio import atomic_write
from chanest.models.checkpoint import checkpoint_paths, load_checkpoint
from chanest.schema import ConfigError

__all__ = ["PRETRAINED_DIR", "available", "card", "stem", "ship", "machine"]

PRETRAINED_DIR = Path(__file__).resolve().parent


def available() -> list[str]:
    """Names of the shipped models (sorted)."""
    return sorted(p.name[: -len(".card.json")] for p in PRETRAINED_DIR.glob("*.card.json"))


def stem(name: str) -> Path:
    """Checkpoint stem of a shipped model; ConfigError listing the names if unknown."""
    if name not in available():
        raise ConfigError(f"unknown pretrained model {name!r}; shipped: "
                          f"{', '.join(available()) or 'none'}", arg="names")
    return PRETRAINED_DIR / name


def card(name: str) -> dict:
    """The model card of a shipped model (see module docstring)."""
    return json.loads((stem(name).with_name(name + ".card.json")).read_text())


def machine() -> str:
    """' on <CPU model>' from /proc/cpuinfo where it exists, else ''."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return " on " + line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def ship(run_dir: str | Path, name: str, command: str, device: str, notes: str = "") -> dict:
    """Copy ``run_dir/best`` into the package as ``name`` and write its card.

    The budget comes from the run's ``log.csv`` (epochs, seconds) and experiment
    (grids per epoch); the validation NMSE from the best checkpoint's metadata.
    """
    run_dir = Path(run_dir)
    _, meta = load_checkpoint(run_dir / "best")
    with open(run_dir / "log.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    exp = meta["experiment"]
    metrics = meta["metrics"]
    info = {
        "name": name,
        "model": meta["model"],
        "scenario": exp["data"]["simulate"],
        "command": command,
        "budget": {"epochs": len(rows), "grids_per_epoch": exp["data"]["samples_per_epoch"],
                   "grids": len(rows) * exp["data"]["samples_per_epoch"],
                   "wall_s": round(sum(float(r["seconds"]) for r in rows), 1),
                   "device": device},
        "best_epoch": meta.get("epoch"),
        "val_nmse_db": round(metrics["val_nmse_db"], 3),
        "val_score_db": round(metrics["val_score_db"], 3),
        "val_per_snr_db": {k: round(v, 3) for k, v in metrics["val_per_snr_db"].items()},
        "notes": notes,
    }
    for src in checkpoint_paths(run_dir / "best"):
        with open(src, "rb") as fin, atomic_write(PRETRAINED_DIR / (name + src.suffix), "wb") as f:
            shutil.copyfileobj(fin, f)
    with atomic_write(PRETRAINED_DIR / (name + ".card.json")) as f:
        f.write(json.dumps(info, indent=1) + "\n")
    return info
