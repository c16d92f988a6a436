"""Where a figure goes and how it is written: format by suffix, atomic saves, the
CSV of the plotted points beside it.

Every chanest figure (``plot``, ``plot-training``, ``inspect --plot``) resolves its
``--out`` the same way: a name without a suffix gets ``.pdf`` and ``.png``; a ``.pdf``,
``.png`` or ``.svg`` name is exactly that file; an existing folder gets
``<folder>/<default_name>.pdf`` and ``.png``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from chanest.fileio import atomic_write
from chanest.plots.style import RC
from chanest.schema import ConfigError

__all__ = ["FORMATS", "figure_target", "save_figure", "points_path", "write_points",
           "POINT_COLUMNS"]

FORMATS = ("pdf", "png", "svg")
#: columns of the ``<figure>.csv`` written beside a figure (one row per drawn point)
POINT_COLUMNS = ["panel", "series", "estimator", "file", "x", "y", "y_lo", "y_hi", "point"]


def figure_target(out: str | Path, default_name: str,
                  arg: str = "out") -> tuple[Path, list[str]]:
    """(stem, formats) for ``out``; creates the parent folder.

    Raises:
        ConfigError: an unknown suffix, or a parent that is a file.
    """
    stem = Path(out)
    formats = ["pdf", "png"]
    if stem.is_dir():
        stem = stem / default_name
    elif stem.suffix:
        fmt = stem.suffix.lower()[1:]
        if fmt not in FORMATS:
            raise ConfigError("the suffix must be one of "
                              f"{', '.join('.' + f for f in FORMATS)} or none, got "
                              f"{stem.name!r}", arg=arg)
        formats, stem = [fmt], stem.with_suffix("")
    if stem.parent.exists() and not stem.parent.is_dir():
        raise ConfigError(f"{stem.parent} is not a directory", arg=arg)
    stem.parent.mkdir(parents=True, exist_ok=True)
    return stem, formats


def save_figure(fig, stem: Path, formats: list[str]) -> list[Path]:
    """Save ``fig`` as ``stem.<fmt>`` for every format (TrueType fonts, 300 dpi)."""
    import matplotlib

    paths = [stem.with_name(f"{stem.name}.{fmt}") for fmt in formats]
    for fmt, path in zip(formats, paths):
        with atomic_write(path, "path") as tmp, \
                matplotlib.rc_context({k: v for k, v in RC.items() if k.endswith("fonttype")}):
            fig.savefig(tmp, format=fmt, bbox_inches="tight", dpi=300)
    return paths


def points_path(stem: Path, protect=()) -> Path:
    """``stem.csv``; ConfigError if that is one of the input files ``protect``."""
    path = stem.with_name(f"{stem.name}.csv")
    if any(path.resolve() == Path(p).resolve() for p in protect):
        raise ConfigError(f"the plotted points would go to {path}, which is an input "
                          "file; choose another figure name", arg="out")
    return path


def write_points(stem: Path, points: list[dict], protect=()) -> Path:
    """Write ``stem.csv`` (:data:`POINT_COLUMNS`, one row per drawn point)."""
    path = points_path(stem, protect)
    with atomic_write(path, newline="") as f:
        w = csv.DictWriter(f, fieldnames=POINT_COLUMNS, lineterminator="\n")
        w.writeheader()
        for p in points:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in p.items()})
    return path
