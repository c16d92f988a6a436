"""Can a pilot layout support channel estimation? Sampling-theorem checks, as warnings.

For pilots every D_f subcarriers on a symbol, the channel's frequency response is
sampled at D_f·Δf: channels whose delays reach τ_max are resolved only if
D_f·Δf·τ_max < 1 (τ_max taken as the cyclic prefix, the longest delay the system is
designed for). For pilot symbols every D_t symbols of duration T, a maximum Doppler
f_d is tracked only if 2·f_d·D_t·T < 1. A symbol with a single pilot resolves no
frequency selectivity at all, and a single pilot symbol no time variation.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pilot_layout_problems"]


def pilot_layout_problems(mask: np.ndarray, grid, max_doppler: float) -> list[str]:
    """One line per sampling condition the layout breaks (empty if none)."""
    problems = []
    rows = np.flatnonzero(mask.any(axis=1))
    if len(rows) == 0:
        return ["pilots: the layout has no pilots"]
    cp = grid.cp_duration
    counts = mask[rows].sum(axis=1)
    if counts.min() < 2:
        problems.append(f"pilots: symbol {int(rows[np.argmin(counts)])} carries a single pilot, "
                        "so no estimator can resolve frequency selectivity there")
    gaps = [int(np.diff(np.flatnonzero(mask[r])).max()) for r in rows if mask[r].sum() >= 2]
    if gaps and max(gaps) * grid.subcarrier_spacing * cp >= 1:
        limit = int(np.floor(1 / (grid.subcarrier_spacing * cp) - 1e-9))
        problems.append(f"pilots: a spacing of {max(gaps)} subcarriers undersamples channels "
                        f"as long as the cyclic prefix ({cp * 1e6:.3g} us); at most {limit} "
                        "resolves them")
    if max_doppler > 0:
        if len(rows) == 1:
            problems.append(f"pilots: a single pilot symbol cannot track a Doppler of up to "
                            f"{max_doppler:.4g} Hz")
        elif 2 * max_doppler * int(np.diff(rows).max()) * grid.symbol_duration >= 1:
            problems.append(f"pilots: pilot symbols {int(np.diff(rows).max())} apart "
                            f"undersample a Doppler of up to {max_doppler:.4g} Hz")
    return problems
