"""Figure of one channel grid: true |H| [dB] with the pilots marked, and optionally an
estimate |Ĥ| [dB] (same colour scale) and its error |Ĥ − H| [dB], side by side.

Written in the style of ``plot`` (:mod:`chanest.plots.style`): PDF, SVG or PNG by the
suffix of ``out`` (none: PDF and PNG), TrueType fonts, 300 dpi. The pilot legend sits
below the panels so that it hides no pilot.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from chanest.fileio import atomic_write
from chanest.plots.files import figure_target, points_path, save_figure
from chanest.plots.style import RC, SIZES

__all__ = ["plot_grid"]


def _db(x: np.ndarray) -> np.ndarray:
    return 20 * np.log10(np.abs(x) + 1e-12)


#: above this many pilots in one symbol single markers would merge into a bar hiding |H|
_MAX_MARKED_PER_SYMBOL = 36


def _mark_pilots(ax, mask: np.ndarray):
    """Open red circles on the pilots, or, for dense pilot symbols (DM-RS), a red outline
    of each pilot symbol; returns (legend handle, legend text)."""
    per_symbol = mask.sum(axis=1)
    if per_symbol.max() <= _MAX_MARKED_PER_SYMBOL:
        sym, sc = np.nonzero(mask)
        handle = ax.scatter(sym, sc, s=7, facecolors="none", edgecolors="red", linewidths=0.7)
        return handle, f"pilot ({int(mask.sum())} per grid)"
    from matplotlib.patches import Rectangle

    F = mask.shape[1]
    for s in np.flatnonzero(per_symbol):
        handle = ax.add_patch(Rectangle((s - 0.5, -0.5), 1, F, fill=False, edgecolor="red",
                                        linewidth=0.8))
    counts = sorted(set(int(c) for c in per_symbol[per_symbol > 0]))
    return handle, (f"pilot symbol ({'/'.join(map(str, counts))} pilots each, "
                    f"{int(mask.sum())} per grid)")


def plot_grid(h: np.ndarray, mask: np.ndarray, out: str | Path, title: str = "",
              h_hat: np.ndarray | None = None, estimator: str = "") -> list[Path]:
    """Save the grid picture; returns the paths written.

    Args:
        h: [S, F] complex true channel of one link (S OFDM symbols, F subcarriers).
        mask: [S, F] bool pilot mask.
        out: figure path (``.pdf``, ``.svg``, ``.png`` or no suffix for PDF and PNG).
        title: figure title.
        h_hat: optional [S, F] complex estimate of ``h``; adds the estimate and error panels.
        estimator: the estimate's name (panel titles).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stem, formats = figure_target(out, "grid")
    S, F = h.shape
    panels = [("true |H|", _db(h))]
    if h_hat is not None:
        err = h_hat - h
        nmse = 10 * np.log10(np.sum(np.abs(err) ** 2) / np.sum(np.abs(h) ** 2))
        panels += [(f"{estimator} |Ĥ|", _db(h_hat)),
                   (f"error |Ĥ − H| (NMSE {nmse:.1f} dB)", _db(err))]
    extent = (-0.5, S - 0.5, -0.5, F - 0.5)
    lo, hi = np.percentile(panels[0][1], [0.5, 100])
    w = SIZES["single"][0] if len(panels) == 1 else SIZES["double"][0]
    with plt.rc_context(RC | {"axes.grid": False}):
        fig, axes = plt.subplots(1, len(panels), figsize=(w, 2.8), squeeze=False,
                                 sharey=True, constrained_layout=True)
        images = []
        for ax, (name, data) in zip(axes.flat, panels):
            is_err = name.startswith("error")
            images.append(ax.imshow(data.T, origin="lower", aspect="auto",
                                    cmap="magma" if is_err else "viridis",
                                    vmin=None if is_err else lo, vmax=None if is_err else hi,
                                    extent=extent, interpolation="nearest"))
            ax.set_title(name)
            ax.set_xlabel("OFDM symbol")
        axes[0, 0].set_ylabel("subcarrier")
        pilots, label = _mark_pilots(axes[0, 0], mask)
        fig.colorbar(images[0], ax=list(axes.flat[:min(2, len(panels))]),
                     label="|H| [dB]", shrink=0.9)
        if len(panels) > 2:
            fig.colorbar(images[2], ax=axes[0, 2], label="error [dB]", shrink=0.9)
        if title:
            fig.suptitle(title)
        fig.legend([pilots], [label],
                   loc="outside lower center", frameon=False)
    try:
        return save_figure(fig, stem, formats) + [_write_cells(stem, mask, panels)]
    finally:
        plt.close(fig)


def _write_cells(stem: Path, mask: np.ndarray, panels: list) -> Path:
    """``stem.csv``: one row per RE with the plotted values (symbol, subcarrier, pilot, and
    each panel's value in dB), the grid picture's counterpart of a figure's points CSV."""
    S, F = mask.shape
    sym, sc = np.meshgrid(np.arange(S), np.arange(F), indexing="ij")
    cols = {"symbol": sym.ravel(), "subcarrier": sc.ravel(), "pilot": mask.astype(int).ravel()}
    for key, (_, data) in zip(("h_db", "h_hat_db", "error_db"), panels):
        cols[key] = data.ravel()
    lines = [",".join(cols)] + [",".join(f"{v:.6g}" if isinstance(v, float) else str(v)
                                         for v in row) for row in zip(*(c.tolist()
                                                                       for c in cols.values()))]
    path = points_path(stem)
    with atomic_write(path) as f:
        f.write("\n".join(lines) + "\n")
    return path
