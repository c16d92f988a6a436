"""One fixed look per estimator family, the same in every figure, readable in grayscale.

Colour, marker and line style are chosen by the estimator's *name*, never by its
position in a table, so ``lmmse`` looks the same in every figure. Bounds are black,
dashed and drawn beneath everything else. Figure sizes follow IEEE columns.
"""

from __future__ import annotations

__all__ = ["style_for", "SIZES", "RC", "FILE_STYLES", "SERIES_COLOURS"]

#: preset → (width, height) in inches
SIZES = {"single": (3.5, 2.6), "double": (7.16, 3.0), "screen": (5.2, 4.0)}

#: matplotlib settings of every chanest figure (8–9 pt text at column width)
RC = {"font.size": 8, "axes.labelsize": 8, "axes.titlesize": 8, "legend.fontsize": 7,
      "xtick.labelsize": 7, "ytick.labelsize": 7, "lines.linewidth": 1.2,
      "lines.markersize": 4, "axes.grid": True, "grid.alpha": 0.3,
      "pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "none"}

_FIXED = {  # name → (colour, marker, line style)
    "lmmse": ("#d62728", "s", "-"),
    "lmmse-adaptive": ("#2ca02c", "^", "-"),
    "lmmse-robust": ("#ff7f0e", "v", ":"),
    "lmmse-separable": ("#9467bd", "D", "-."),
    "lmmse-separable-tf": ("#8c564b", "d", "-."),
    "lmmse-sionna": ("#e377c2", "x", ":"),
    "ls-linear": ("#7f7f7f", "o", ":"),
    "ls-nearest": ("#7f7f7f", ".", (0, (1, 3))),
    "ls-cubic": ("#7f7f7f", "p", (0, (3, 2))),
    "ls-rbf": ("#7f7f7f", "h", (0, (5, 2, 1, 2))),
    "dft": ("#bcbd22", "*", ":"),
    "sionna-ls": ("#000000", "+", (0, (2, 2))),  # Sionna's own LS (uplink reference)
}
_NEURAL = [("#1f77b4", "o", "-"), ("#17becf", "P", "-"), ("#393b79", "X", "-"),
           ("#637939", "<", "-"), ("#843c39", ">", "-")]


#: results file k of a multi-file figure → (line style, filled markers)
FILE_STYLES = [("-", True), ("--", False), (":", True), ("-.", False)]
#: colours of other series (training runs, ...): the neural palette, then the fixed ones
SERIES_COLOURS = [c for c, _, _ in _NEURAL] + ["#d62728", "#2ca02c", "#ff7f0e", "#9467bd"]


def style_for(name: str, is_bound: bool, neural_index: int = 0) -> dict:
    """Keyword arguments for ``Axes.plot`` (colour, marker, line style, z-order)."""
    if is_bound:
        return dict(color="black", linestyle="--", marker=None, zorder=1, linewidth=1.0)
    if name.startswith("genie-"):  # genie-aided but not a bound (e.g. code-division users)
        return dict(color="black", linestyle="-.", marker=None, zorder=2, linewidth=1.0)
    if name in _FIXED:
        colour, marker, line = _FIXED[name]
        return dict(color=colour, marker=marker, linestyle=line, zorder=3)
    colour, marker, line = _NEURAL[neural_index % len(_NEURAL)]
    return dict(color=colour, marker=marker, linestyle=line, zorder=4, linewidth=1.6,
                markerfacecolor="white")
