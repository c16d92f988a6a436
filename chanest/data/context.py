"""What a receiver knows about a scenario: one record, built in one place, one check.

:class:`GridContext` holds the grid, the pilot layout and symbols, and the
scenario's nominal channel statistics; estimators are built from it
(:mod:`chanest.estimators.registry`). It is made here from a dataset
(:func:`context_from_dataset`), a live simulator (:func:`context_from_simulator`)
or a checkpoint's metadata (:func:`context_from_checkpoint`).
:func:`check_compatible` answers "do these two fit each other?" for evaluation
(fit data vs test data), checkpoints (trained layout vs data) and training
(validation vs training grids).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from chanest.channels.profiles import TapProfile
from chanest.grid.ofdm import GridConfig, pilot_indices, subcarrier_frequencies, symbol_times
from chanest.schema import ConfigError

if TYPE_CHECKING:
    from chanest.grid.users import UserLayout

__all__ = ["GridContext", "context_from_dataset", "context_from_simulator",
           "context_from_samplers", "context_from_checkpoint", "check_compatible"]


@dataclass(frozen=True)
class GridContext:
    """System knowledge shared by all estimators of one dataset.

    Attributes:
        grid: resource-grid geometry (None where unknown, e.g. a checkpoint's layout).
        mask: [S, F] bool pilot mask.
        pilots: [P] complex64 pilot symbols, row-major mask order (None where unknown).
        profiles: nominal tap profiles of the scenario's model entries.
        labels: model label per entry (same order as ``profiles``).
        delay_spread_range: per entry, (lo, hi) RMS delay spread [s] of the scenario.
        doppler_range: per entry, (lo, hi) maximum Doppler [Hz] of the scenario.
        weights: per entry, mixture probability (sums to 1; empty = equal).
        source: where the context comes from, for messages ('' if nothing to say).
        users: the :class:`~chanest.grid.users.UserLayout` of a multi-user scenario (then
            ``mask`` is the union of the users' pilot REs and ``pilots`` [U, P]), or None.
    """

    grid: GridConfig | None
    mask: np.ndarray
    pilots: np.ndarray | None
    profiles: tuple[TapProfile, ...] = ()
    labels: tuple[str, ...] = ()
    delay_spread_range: tuple[tuple[float, float], ...] = ()
    doppler_range: tuple[tuple[float, float], ...] = ()
    weights: tuple[float, ...] = ()
    source: str = ""
    users: UserLayout | None = None

    def for_user(self, u: int) -> GridContext:
        """User ``u``'s single-user problem: unit pilots at its (despread) positions."""
        part = self.users.users[u]
        ones = np.ones(int(part.mask.sum()), dtype=np.complex64)
        where = f"user {u}" + (f", {self.source}" if self.source else "")
        return replace(self, mask=part.mask, pilots=ones, users=None, source=where)

    @property
    def pilot_idx(self) -> np.ndarray:
        """[P] flat row-major indices of the pilots."""
        return pilot_indices(self.mask)

    @property
    def freqs(self) -> np.ndarray:
        """[F] subcarrier frequencies [Hz]."""
        return subcarrier_frequencies(self.grid)

    @property
    def times(self) -> np.ndarray:
        """[S] OFDM symbol times [s]."""
        return symbol_times(self.grid)


def context_from_dataset(ds) -> GridContext:
    """The context of an open :class:`~chanest.data.dataset.ChannelDataset`."""
    return GridContext(grid=ds.scenario.grid, mask=ds.mask, pilots=ds.pilots,
                       profiles=tuple(ds.profiles), labels=tuple(ds.labels),
                       delay_spread_range=tuple(ds.delay_spread_ranges),
                       doppler_range=tuple(ds.doppler_ranges), weights=tuple(ds.weights),
                       users=getattr(ds, "users", None))


def context_from_samplers(grid, mask, pilots, samplers, weights) -> GridContext:
    """A context whose statistics are those of channel samplers (one per model entry,
    with mixture ``weights`` normalised to 1)."""
    return GridContext(grid=grid, mask=mask, pilots=pilots,
                       profiles=tuple(x.profile for x in samplers),
                       labels=tuple(x.label for x in samplers),
                       delay_spread_range=tuple(x.delay_spread_range for x in samplers),
                       doppler_range=tuple(x.doppler_range for x in samplers),
                       weights=tuple(float(w) for w in weights))


def context_from_simulator(sim) -> GridContext:
    """The context of a live :class:`~chanest.data.simulate.Simulator` (its scenario)."""
    return replace(context_from_samplers(sim.scenario.grid, sim.mask, sim.pilots, sim.samplers,
                                         sim.mixture_weights), users=sim.users)


def context_from_checkpoint(meta: dict) -> GridContext:
    """The pilot layout a checkpoint was trained for (its metadata's ``mask``); the
    grid spacing and pilot symbols are not part of what a network needs to match."""
    scenario = ((meta.get("experiment") or {}).get("data") or {}).get("simulate") or "?"
    return GridContext(grid=None, mask=np.asarray(meta.get("mask", []), dtype=bool),
                       pilots=None, source=f"scenario {scenario}")


def _layout(ctx: GridContext) -> str:
    where = f", {ctx.source}" if ctx.source else ""
    return f"{int(ctx.mask.sum())} pilots on {list(ctx.mask.shape)}{where}"


def _grid_diff(a: GridContext, b: GridContext) -> tuple[str, str] | None:
    da, db = a.grid.model_dump(), b.grid.model_dump()
    keys = [k for k in da if da[k] != db[k]]
    if not keys:
        return None
    return (", ".join(f"{k} {da[k]}" for k in keys), ", ".join(f"{k} {db[k]}" for k in keys))


def _differs(a: GridContext, b: GridContext, field: str) -> tuple[str, str] | None:
    """(a's, b's) description of ``field`` if it differs, else None."""
    if field == "grid":
        return _grid_diff(a, b)
    if field == "mask":
        same = a.mask.shape == b.mask.shape and np.array_equal(a.mask, b.mask)
        return None if same else (_layout(a), _layout(b))
    if a.pilots.shape != b.pilots.shape:  # [P], or [U, P] with users
        def what(p):
            return " x ".join(map(str, p.shape)) + " symbols"
        return what(a.pilots), what(b.pilots)
    close = np.isclose(a.pilots, b.pilots)
    if close.all():
        return None
    i = np.unravel_index(int(np.flatnonzero(~close.ravel())[0]), close.shape)
    where = f"user {i[0]} pilot {i[1]}" if len(i) == 2 else f"pilot {i[0]}"
    def show(z):
        return f"{where} = {z.real:+.3f}{z.imag:+.3f}j"
    return show(a.pilots[i]), show(b.pilots[i])


_WHAT = {"grid": "grid", "mask": "pilot layout", "pilots": "pilot sequence"}


def check_compatible(a: GridContext, b: GridContext, names: tuple[str, str] = ("a", "b"),
                     arg: str | None = None,
                     fields: tuple[str, ...] = ("grid", "mask", "pilots")) -> None:
    """ConfigError (one line) naming the first of ``fields`` in which ``a`` and ``b`` differ.

    ``grid`` compares every grid field, ``mask`` the pilot layout [S, F], ``pilots`` the
    pilot symbols; a field unknown (None) on either side is not compared. The message
    reads ``{arg}: {names[0]} has another {field} ({a's}) than {names[1]} ({b's})``.
    """
    for field in fields:
        if getattr(a, field) is None or getattr(b, field) is None:
            continue
        diff = _differs(a, b, field)
        if diff is not None:
            text = (f"{names[0]} has another {_WHAT[field]} ({diff[0]}) than {names[1]} "
                    f"({diff[1]})")
            raise ConfigError(text, arg=arg or None)
