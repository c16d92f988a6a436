"""A Sionna ``ResourceGrid`` seen as chanest estimation problems, one per stream.

Sionna's pilot pattern lives on the *effective* subcarriers (guard carriers and the
DC null removed), so neighbouring effective subcarriers around DC are two
subcarriers apart in frequency. chanest estimators assume equally spaced
subcarriers, so each stream is estimated on the *span* from the first to the last
effective subcarrier (DC included as a position without a pilot) and the DC column
is dropped afterwards. Estimates therefore use the true frequency spacing.

Per transmitter and stream, the pilots are the REs where that stream sends a
nonzero pilot symbol. Streams must have disjoint pilot REs (frequency- or
time-division pilots, e.g. Sionna's Kronecker pattern); code-division pilots that
share REs are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chanest.config import CP_RATIOS, ConfigError, GridConfig, Scenario

__all__ = ["StreamPilots", "SpanLayout", "span_layout", "span_grid"]

#: a normal-CP grid is assumed below this CP/FFT ratio, an extended-CP grid above it
_EXTENDED_CP_THRESHOLD = (CP_RATIOS["normal"] + CP_RATIOS["extended"]) / 2
#: carrier frequency assumed when no scenario is given (only converts speeds to Doppler)
DEFAULT_CARRIER_HZ = 3.5e9


@dataclass(frozen=True)
class StreamPilots:
    """Pilots of one (transmitter, stream) on the span.

    Attributes:
        tx, stream: indices in Sionna's pilot pattern.
        mask: [S, W] bool, REs with a nonzero pilot of this stream.
        pilots: [P] complex64 unit-modulus pilot symbols in row-major mask order.
        flat_idx: [P] row-major indices of those REs in the [S, W] span.
        amplitude: |x_p| of Sionna's pilots (chanest's are these divided by it).
    """

    tx: int
    stream: int
    mask: np.ndarray
    pilots: np.ndarray
    flat_idx: np.ndarray
    amplitude: float = 1.0

    def key(self) -> bytes:
        """Identity of the estimation problem (streams with equal keys share an estimator)."""
        return self.mask.tobytes() + self.pilots.tobytes()


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


def span_layout(resource_grid) -> SpanLayout:
    """The :class:`SpanLayout` of a ``sionna.phy.ofdm.ResourceGrid`` (ConfigError for
    code-division pilots or a stream without pilots)."""
    rg = resource_grid
    guards = np.asarray(rg.num_guard_carriers).reshape(-1)
    lo, hi = int(guards[0]), int(rg.fft_size - guards[1])
    effective = np.asarray(rg.effective_subcarrier_ind) - lo  # [F_eff]
    S, W = rg.num_ofdm_symbols, hi - lo
    mask_all = _numpy(rg.pilot_pattern.mask).astype(bool)  # [T, N, S, F_eff]
    pilots_all = _numpy(rg.pilot_pattern.pilots)  # [T, N, P_all]
    streams, owner = [], np.full((S, W), -1)
    for tx in range(mask_all.shape[0]):
        for st in range(mask_all.shape[1]):
            rows, cols = np.nonzero(mask_all[tx, st])  # row-major, as Sionna orders pilots
            active = np.abs(pilots_all[tx, st]) > 0
            if not active.any():
                raise ConfigError(f"resource_grid.pilot_pattern: stream {st} of transmitter "
                                  f"{tx} has no nonzero pilot")
            rows, cols = rows[active], effective[cols[active]]
            shared = owner[rows, cols] >= 0
            if shared.any():
                raise ConfigError("resource_grid.pilot_pattern: streams share pilot REs "
                                  "(code-division pilots); give each stream its own REs "
                                  "(frequency- or time-division, e.g. pilot_pattern='kronecker')")
            owner[rows, cols] = len(streams)
            mask = np.zeros((S, W), dtype=bool)
            mask[rows, cols] = True
            values = pilots_all[tx, st][active]
            amplitude = float(np.abs(values).mean())
            if not np.allclose(np.abs(values), amplitude, rtol=1e-3):
                raise ConfigError("resource_grid.pilot_pattern: pilots of one stream must have "
                                  "constant modulus (e.g. QPSK)")
            streams.append(StreamPilots(tx, st, mask, (values / amplitude).astype(np.complex64),
                                        rows * W + cols, amplitude))
    return SpanLayout(lo, hi, effective, S, tuple(streams), mask_all.shape[0], mask_all.shape[1])


def span_grid(resource_grid, layout: SpanLayout, scenario: Scenario | None) -> GridConfig:
    """The chanest :class:`GridConfig` of the span: S × W at the grid's subcarrier spacing,
    normal or extended CP by the nearer CP/FFT ratio, the scenario's carrier frequency."""
    ratio = resource_grid.cyclic_prefix_length / resource_grid.fft_size
    carrier = scenario.grid.carrier_frequency if scenario is not None else DEFAULT_CARRIER_HZ
    return GridConfig(preset=None, num_subcarriers=layout.width, num_symbols=layout.num_symbols,
                      subcarrier_spacing=float(resource_grid.subcarrier_spacing),
                      cyclic_prefix="extended" if ratio > _EXTENDED_CP_THRESHOLD else "normal",
                      carrier_frequency=carrier)
