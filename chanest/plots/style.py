"""One fixed look per estimator family, the same in every figure, readable in grayscale.

Colour, marker and line style are chosen by the estimator's *name* and the row's *role*,
never by its position in a table, so ``lmmse`` looks the same in every figure. Bounds are
black, dashed and drawn beneath everything else; references are black and dash-dotted.
Trained networks take the network palette in the order of the figure's networks. Any
other name without a fixed look gets one of its own palette, picked from the name (the
same in every figure) and moved to the next free one where two names of one figure would
share it; that palette shares no colour with the fixed looks or the networks. Figure sizes
follow IEEE columns.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable

from chanest.plots.data import is_network

__all__ = ["FigureStyles", "SIZES", "RC", "FILE_STYLES", "SERIES_COLOURS"]

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
#: looks of names without a fixed one: colours used nowhere above, of distinct hue or
#: lightness (a figure of a dozen such names stays readable), three marker/line sets
_OTHER = [(colour, marker, line)
          for marker, line in (("8", "--"), ("H", "-."), ("4", (0, (3, 1, 1, 1))))
          for colour in ("#1b9e77", "#e6ab02", "#e7298a", "#5254a3", "#a6761d", "#6baed6",
                         "#b5cf6b", "#ad494a", "#54278f", "#00441b", "#fa9fb5")]
_BOUND = dict(color="black", linestyle="--", marker=None, zorder=1, linewidth=1.0)
#: references with a line style of their own (the others are dash-dotted)
_REFERENCE_LINES = {"perfect-csi": "--"}


#: results file k of a multi-file figure → (line style, filled markers)
FILE_STYLES = [("-", True), ("--", False), (":", True), ("-.", False)]
#: colours of other series (training runs, ...): the neural palette, then the fixed ones
SERIES_COLOURS = [c for c, _, _ in _NEURAL] + ["#d62728", "#2ca02c", "#ff7f0e", "#9467bd"]


class FigureStyles:
    """The looks of one figure's estimators.

    Args:
        names: the estimator names the figure may draw, in legend order.
        key: what a network's look follows (default: its name; e.g. its legend label, so
            one model in several files keeps its look).
    """

    def __init__(self, names: Iterable[str], key: Callable[[str], str] | None = None):
        self._key = key or (lambda name: name)
        self._networks: dict[str, int] = {}
        self._other: dict[str, int] = {}
        for name in names:
            if is_network(name):
                self._networks.setdefault(self._key(name), len(self._networks))
            elif name not in _FIXED and name not in self._other:
                self._other[name] = self._free_slot(name)

    def _free_slot(self, name: str) -> int:
        """The name's own slot of the palette, or the next one whose colour no other name
        of the figure has, or else the next one no other name holds."""
        slot = zlib.crc32(name.encode()) % len(_OTHER)
        taken = set(self._other.values())
        colours = {_OTHER[t][0] for t in taken}
        order = [(slot + step) % len(_OTHER) for step in range(len(_OTHER))]
        for free in ([s for s in order if _OTHER[s][0] not in colours],
                     [s for s in order if s not in taken]):
            if free:
                return free[0]
        return slot  # more names than looks: they repeat

    def of(self, name: str, role: str) -> dict:
        """Keyword arguments for ``Axes.plot`` (colour, marker, line style, z-order) of
        ``name`` drawn in ``role``."""
        if role == "bound":
            return dict(_BOUND)
        if role == "reference":
            return dict(color="black", linestyle=_REFERENCE_LINES.get(name, "-."),
                        marker=None, zorder=2, linewidth=1.0)
        if name in _FIXED:
            colour, marker, line = _FIXED[name]
            return dict(color=colour, marker=marker, linestyle=line, zorder=3)
        if is_network(name):
            index = self._networks.get(self._key(name), 0)
            colour, marker, line = _NEURAL[index % len(_NEURAL)]
            return dict(color=colour, marker=marker, linestyle=line, zorder=4, linewidth=1.6,
                        markerfacecolor="white")
        slot = self._other[name] if name in self._other else self._free_slot(name)
        colour, marker, line = _OTHER[slot]
        return dict(color=colour, marker=marker, linestyle=line, zorder=3)
