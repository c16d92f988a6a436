"""A Sionna ``ResourceGrid`` seen as chanest estimation problems, one per stream.

Sionna's pilot pattern lives on the *effective* subcarriers (guard carriers and the
DC null removed), so neighbouring effective subcarriers around DC are two
subcarriers apart in frequency. chanest estimators assume equally spaced
subcarriers, so each stream is estimated on the *span* from the first to the last
effective subcarrier (DC included as a position without a pilot) and the DC column
is dropped afterwards. Estimates therefore use the true frequency spacing.

Per transmitter and stream, the pilots are the REs where that stream sends a
nonzero pilot symbol. Streams on their own REs (frequency- or time-division pilots,
e.g. Sionna's Kronecker pattern) are estimated from LS values y/x_p there. Streams
that share REs with orthogonal cover codes (code division, as NR DM-RS ports of one
CDM group, FD-OCC, TD-OCC or both) are first despread over tiles of K pilot REs (K
streams, :mod:`chanest.grid.despread`): one LS value per stream and tile, at the tile's
centre, with noise variance no/‖x‖², assuming the channel constant over the tile.
chanest estimators then see unit pilots at those positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chanest.data.scenario import Scenario
from chanest.grid.despread import despread
from chanest.grid.ofdm import CP_RATIOS, GridConfig
from chanest.schema import ConfigError

__all__ = ["StreamPilots", "SpanLayout", "span_layout", "span_grid"]

#: a normal-CP grid is assumed below this CP/FFT ratio, an extended-CP grid above it
_EXTENDED_CP_THRESHOLD = (CP_RATIOS["normal"] + CP_RATIOS["extended"]) / 2
#: carrier frequency assumed when no scenario is given (only converts speeds to Doppler)
DEFAULT_CARRIER_HZ = 3.5e9


@dataclass(frozen=True)
class StreamPilots:
    """What one (transmitter, stream) is estimated from, on the span.

    chanest sees unit pilots at ``mask`` (row-major order) with observations
    ``sum_k weights[p, k] · y[src_idx[p, k]]`` and noise variance ``noise_gain · no``.

    Attributes:
        tx, stream: indices in Sionna's pilot pattern.
        mask: [S, W] bool, the (virtual) pilot positions, P of them.
        src_idx: [P, K] row-major indices in the [S, W] span of the received REs that
            make each pilot's LS value (K = 1 on own REs, K streams for code division).
        weights: [P, K] complex64, conj(x)/‖x‖² of those REs.
        noise_gain: noise variance of an LS value over ``no``.
    """

    tx: int
    stream: int
    mask: np.ndarray
    src_idx: np.ndarray
    weights: np.ndarray
    noise_gain: float

    def key(self) -> bytes:
        """Identity of the estimation problem (streams with equal keys share an estimator)."""
        return self.mask.tobytes()


@dataclass(frozen=True)
class SpanLayout:
    """Geometry of a Sionna resource grid as chanest sees it.

    Attributes:
        lo, hi: the span is FFT bins ``lo:hi`` (guard carriers outside).
        effective: [F_eff] positions of the effective subcarriers within the span.
        num_symbols: S.
        streams: one entry per (tx, stream), tx-major.
        num_tx, num_streams: Sionna's counts.
    """

    lo: int
    hi: int
    effective: np.ndarray
    num_symbols: int
    streams: tuple[StreamPilots, ...]
    num_tx: int
    num_streams: int

    @property
    def width(self) -> int:
        """W: subcarriers in the span (effective ones plus a DC null inside it)."""
        return self.hi - self.lo


def _numpy(x) -> np.ndarray:
    return np.asarray(x.detach().cpu()) if hasattr(x, "detach") else np.asarray(x)


def _active(rg, effective) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
    """{(tx, stream): (flat span indices [Q], pilot values [Q])} of nonzero pilots."""
    mask_all = _numpy(rg.pilot_pattern.mask).astype(bool)  # [T, N, S, F_eff]
    pilots_all = _numpy(rg.pilot_pattern.pilots)  # [T, N, P_all]
    W = int(rg.fft_size - np.sum(rg.num_guard_carriers))
    out = {}
    for tx in range(mask_all.shape[0]):
        for st in range(mask_all.shape[1]):
            rows, cols = np.nonzero(mask_all[tx, st])  # row-major, as Sionna orders pilots
            active = np.abs(pilots_all[tx, st]) > 0
            if not active.any():
                raise ConfigError(f"resource_grid.pilot_pattern: stream {st} of transmitter "
                                  f"{tx} has no nonzero pilot")
            out[(tx, st)] = (rows[active] * W + effective[cols[active]],
                             pilots_all[tx, st][active].astype(np.complex128))
    return out


def span_layout(resource_grid) -> SpanLayout:
    """The :class:`SpanLayout` of a ``sionna.phy.ofdm.ResourceGrid`` (ConfigError for
    streams without pilots, partly overlapping or non-orthogonal code-division pilots)."""
    rg = resource_grid
    guards = np.asarray(rg.num_guard_carriers).reshape(-1)
    lo, hi = int(guards[0]), int(rg.fft_size - guards[1])
    effective = np.asarray(rg.effective_subcarrier_ind) - lo  # [F_eff]
    S, W = rg.num_ofdm_symbols, hi - lo
    active = _active(rg, effective)
    by_res: dict[bytes, list] = {}
    for key, (flat, _) in active.items():
        by_res.setdefault(np.sort(flat).tobytes(), []).append(key)
    taken = np.zeros(S * W, dtype=bool)
    built = {}
    for keys in by_res.values():
        flat = active[keys[0]][0]
        if taken[flat].any():
            raise ConfigError("resource_grid.pilot_pattern: streams share only some of their "
                              "pilot REs; give each stream its own REs or a full code-division "
                              "group")
        taken[flat] = True
        parts = despread(flat, [active[k][1] for k in keys], S, W,
                         what="resource_grid.pilot_pattern")
        for key, part in zip(keys, parts):
            built[key] = StreamPilots(key[0], key[1], part.mask, part.src, part.weights,
                                      part.noise_gain)
    T, N = max(k[0] for k in active) + 1, max(k[1] for k in active) + 1
    return SpanLayout(lo, hi, effective, S, tuple(built[k] for k in sorted(built)), T, N)


def span_grid(resource_grid, layout: SpanLayout, scenario: Scenario | None) -> GridConfig:
    """The chanest :class:`GridConfig` of the span: S × W at the grid's subcarrier spacing,
    normal or extended CP by the nearer CP/FFT ratio, the scenario's carrier frequency."""
    ratio = resource_grid.cyclic_prefix_length / resource_grid.fft_size
    carrier = scenario.grid.carrier_frequency if scenario is not None else DEFAULT_CARRIER_HZ
    return GridConfig(preset=None, num_subcarriers=layout.width, num_symbols=layout.num_symbols,
                      subcarrier_spacing=float(resource_grid.subcarrier_spacing),
                      cyclic_prefix="extended" if ratio > _EXTENDED_CP_THRESHOLD else "normal",
                      carrier_frequency=carrier)
