"""Figure of one channel grid |H| (dB) with the pilot positions marked."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["plot_grid"]


def plot_grid(h: np.ndarray, mask: np.ndarray, out: str | Path, title: str = "") -> Path:
    """Save |H| in dB over (subcarrier, symbol) with pilots as markers.

    Args:
        h: [S, F] complex channel of one link.
        mask: [S, F] bool pilot mask.
        out: PNG path (written to a temporary name, then renamed).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    S, F = h.shape
    mag_db = 20 * np.log10(np.abs(h) + 1e-12)
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=150)
    im = ax.imshow(mag_db.T, origin="lower", aspect="auto", cmap="viridis",
                   extent=(-0.5, S - 0.5, -0.5, F - 0.5))
    sym, sc = np.nonzero(mask)
    ax.scatter(sym, sc, s=10, facecolors="none", edgecolors="red", linewidths=0.8,
               label=f"pilots ({mask.sum()})")
    ax.set_xlabel("OFDM symbol")
    ax.set_ylabel("subcarrier")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper right", fontsize=7, framealpha=0.8)
    fig.colorbar(im, ax=ax, label="|H| (dB)")
    fig.tight_layout()
    tmp = out.with_name(out.name + ".tmp")
    fig.savefig(tmp, format="png")
    plt.close(fig)
    tmp.replace(out)
    return out
