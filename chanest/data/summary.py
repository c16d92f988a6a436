"""What an open dataset holds: provenance, shapes, grid and pilots, users, the grids and
parameter ranges per channel model, the SNR histogram and the measured channel power.

:func:`summarise_dataset` gathers them into a :class:`DatasetSummary`; its
:meth:`~DatasetSummary.lines` is the text ``inspect`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chanest.data.scenario import Scenario

__all__ = ["ModelStats", "SnrBin", "DatasetSummary", "model_stats", "snr_histogram",
           "measured_power", "summarise_dataset"]

#: distinct SNR values up to which the histogram counts each value (else 10 bins)
MAX_SNR_LINES = 16


@dataclass
class ModelStats:
    """The grids of one channel model and the (min, max) of their parameters (None for a
    model without grids)."""

    label: str
    grids: int
    delay_spread_ns: tuple[float, float] | None = None
    doppler_hz: tuple[float, float] | None = None
    speed_mps: tuple[float, float] | None = None
    coverage: float | None = None

    def line(self) -> str:
        if not self.grids:
            return f"{self.label}: 0 grids"
        (d0, d1), (f0, f1), (v0, v1) = self.delay_spread_ns, self.doppler_hz, self.speed_mps
        kept = "" if self.coverage is None else \
            f", {100 * self.coverage:.1f} % of drawn positions outdoors with a path"
        return (f"{self.label}: {self.grids} grids, delay spread {d0:.1f}–{d1:.1f} ns, "
                f"Doppler {f0:.1f}–{f1:.1f} Hz, speed {v0:.1f}–{v1:.1f} m/s{kept}")


@dataclass
class SnrBin:
    """Grids with SNR in [lo, hi) dB, or at exactly ``lo`` (``exact``)."""

    lo: float
    hi: float
    count: int
    exact: bool

    def line(self) -> str:
        if self.exact:
            return f"{self.lo:7.2f} dB: {self.count}"
        return f"[{self.lo:6.1f}, {self.hi:6.1f}) dB: {self.count}"


def _range(values: np.ndarray) -> tuple[float, float]:
    return float(values.min()), float(values.max())


def model_stats(ds) -> list[ModelStats]:
    """Per model label of ``ds``: its grids and parameter ranges (from the dataset's
    per-grid columns, so without reading any channel); ray-traced sites add the mean
    fraction of drawn positions they kept (``params/coverage``)."""
    model, ds_s = ds.column("model"), ds.column("delay_spread")
    doppler, speed = ds.column("doppler"), ds.column("speed")
    try:
        coverage = ds.column("params/coverage")
    except KeyError:
        coverage = np.full(len(model), np.nan)
    out = []
    for i, label in enumerate(ds.labels):
        sel = model == i
        if not sel.any():
            out.append(ModelStats(label, 0))
            continue
        kept = coverage[sel][~np.isnan(coverage[sel])]
        out.append(ModelStats(label, int(sel.sum()), _range(ds_s[sel] * 1e9),
                              _range(doppler[sel]), _range(speed[sel]),
                              float(kept.mean()) if len(kept) else None))
    return out


def snr_histogram(values: np.ndarray) -> list[SnrBin]:
    """SNR [dB] ``values`` [n] counted per distinct value (up to :data:`MAX_SNR_LINES`),
    else in 10 equal bins."""
    distinct = np.unique(values)
    if len(distinct) <= MAX_SNR_LINES:
        return [SnrBin(float(v), float(v), int(np.sum(values == v)), True) for v in distinct]
    counts, edges = np.histogram(values, bins=10)
    return [SnrBin(float(lo), float(hi), int(c), False)
            for c, lo, hi in zip(counts, edges, edges[1:])]


def measured_power(ds, samples: int) -> tuple[int, float]:
    """(grids read, mean |h|² over them): the first ``samples`` grids of ``ds``."""
    m = min(samples, len(ds))
    return m, float(np.mean(np.abs(ds.read(0, m).h.numpy()) ** 2))


@dataclass
class DatasetSummary:
    """An open dataset at a glance (module docstring)."""

    paths: list[str]
    attrs: dict
    scenario: Scenario
    grids: int
    sample_ranges: list[tuple[int, int]]
    h_shape: tuple[int, ...]  # of one grid: [L, S, F]
    y_shape: tuple[int, ...]  # of one grid: [L, P] (with users [A, Q])
    pilots: int
    pilots_per_user: int | None
    models: list[ModelStats]
    snr: list[SnrBin]
    power_grids: int
    power: float

    def lines(self) -> list[str]:
        """The summary as text lines."""
        a, sc, n = self.attrs, self.scenario, self.grids
        g = sc.grid
        out = [f"files: {', '.join(self.paths)}",
               f"schema {a['schema']} v{a['schema_version']}, chanest "
               f"{a.get('chanest_version')}, sionna {a.get('sionna_version')}, "
               + (f"sionna-rt {a['sionna_rt_version']}, " if "sionna_rt_version" in a
                  else "")
               + f"created {a.get('created')}, simulated on {a.get('device_type')}",
               f"seed {sc.seed}, chunk_size {sc.chunk_size}, samples "
               f"{', '.join(f'[{lo}, {hi})' for lo, hi in self.sample_ranges)} of "
               f"{a['num_samples_total']}",
               f"h: [{n}, {', '.join(map(str, self.h_shape))}] complex64   "
               f"y: [{n}, {', '.join(map(str, self.y_shape))}] complex64",
               f"grid: {g.num_subcarriers} x {g.num_symbols}, "
               f"{g.subcarrier_spacing / 1e3:g} kHz, fc {g.carrier_frequency / 1e9:g} GHz; "
               f"pilots: {sc.pilots.pattern} ({self.pilots})"]
        if sc.users is not None:
            u = sc.users
            out.append(f"users: {u.count} (h holds user u's antennas at links u·A…u·A+A-1), "
                       f"{u.count // u.per_set} RE sets shifted by {u.shift.symbols} symbols "
                       f"and {u.shift.subcarriers} subcarriers, cover {u.cover.frequency} "
                       f"(frequency) x {u.cover.time} (time); LS values per user: "
                       f"{self.pilots_per_user}")
        out += ["models:", *(f"  {m.line()}" for m in self.models)]
        out += ["SNR histogram:", *(f"  {b.line()}" for b in self.snr)]
        out.append(f"measured E|h|^2 over {self.power_grids} grids: {self.power:.4f} "
                   f"({10 * np.log10(self.power):+.3f} dB)")
        return out


def summarise_dataset(ds, power_samples: int = 10_000) -> DatasetSummary:
    """The :class:`DatasetSummary` of an open dataset; the channel power is measured over
    its first ``power_samples`` grids."""
    head = ds.read(0, 1)
    users = ds.scenario.users
    m, power = measured_power(ds, power_samples)
    return DatasetSummary(
        paths=[str(p) for p in ds.paths], attrs=ds.attrs, scenario=ds.scenario,
        grids=len(ds), sample_ranges=list(ds.sample_ranges),
        h_shape=tuple(head.h.shape[1:]), y_shape=tuple(head.y.shape[1:]),
        pilots=int(ds.mask.sum()),
        pilots_per_user=None if users is None else int(ds.users.users[0].mask.sum()),
        models=model_stats(ds), snr=snr_histogram(ds.column("snr_db")), power_grids=m,
        power=power)
