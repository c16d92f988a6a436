"""Power-delay profiles (PDPs) as data.

A :class:`TapProfile` is the part of a channel model that second-order
statistics need: tap delays and mean tap powers. The simulator records the
profile of every model it draws from in the dataset, so an estimator that
needs statistics (LMMSE, the genie bound) reads them from the data and never
imports the simulator.

Delays of a *scalable* profile are normalised to unit RMS delay spread and are
multiplied by the per-sample delay spread; delays of a *fixed* profile are in
seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["TapProfile", "PDP_TABLES", "pdp_table_profile", "rms_delay_spread"]


@dataclass(frozen=True)
class TapProfile:
    """Tap delays and powers of one channel model.

    Attributes:
        name: model label, e.g. ``"pdp-VehA"`` or ``"tdl-A"``.
        delays: [C] tap delays; seconds if ``scale_delays`` is False, else
            normalised to unit RMS delay spread.
        powers: [C] mean tap powers (linear), summing with ``los_power`` to 1.
        scale_delays: whether ``delays`` are multiplied by the per-sample
            delay spread.
        los_power: power of the specular (Rician) part of the first tap.
    """

    name: str
    delays: np.ndarray
    powers: np.ndarray
    scale_delays: bool
    los_power: float = 0.0

    def delays_for(self, delay_spread: float) -> np.ndarray:
        """[C] tap delays in seconds for one sample's delay spread [s]."""
        return self.delays * delay_spread if self.scale_delays else self.delays


# Delays in ns, powers in dB (3GPP TS 36.104 Annex B; ITU-R M.1225).
PDP_TABLES: dict[str, tuple[list[float], list[float]]] = {
    "EPA": ([0, 30, 70, 90, 110, 190, 410], [0, -1, -2, -3, -8, -17.2, -20.8]),
    "EVA": ([0, 30, 150, 310, 370, 710, 1090, 1730, 2510],
            [0, -1.5, -1.4, -3.6, -0.6, -9.1, -7, -12, -16.9]),
    "ETU": ([0, 50, 120, 200, 230, 500, 1600, 2300, 5000],
            [-1, -1, -1, 0, 0, 0, -3, -5, -7]),
    "VehA": ([0, 310, 710, 1090, 1730, 2510], [0, -1, -9, -10, -15, -20]),
    "PedA": ([0, 110, 190, 410], [0, -9.7, -19.2, -22.8]),
    "PedB": ([0, 200, 800, 1200, 2300, 3700], [0, -0.9, -4.9, -8, -7.8, -23.9]),
}


def pdp_table_profile(name: str) -> TapProfile:
    """The :class:`TapProfile` of a tabulated PDP, powers normalised to 1."""
    delays_ns, powers_db = PDP_TABLES[name]
    powers = 10.0 ** (np.asarray(powers_db, dtype=np.float64) / 10.0)
    return TapProfile(
        name=f"pdp-{name}",
        delays=np.asarray(delays_ns, dtype=np.float64) * 1e-9,
        powers=powers / powers.sum(),
        scale_delays=False,
    )


def rms_delay_spread(delays: np.ndarray, powers: np.ndarray) -> float:
    """RMS delay spread sqrt(E[τ²] − E[τ]²) of a PDP (units of ``delays``)."""
    p = np.asarray(powers, dtype=np.float64) / np.sum(powers)
    d = np.asarray(delays, dtype=np.float64)
    mean = np.sum(p * d)
    return float(np.sqrt(max(np.sum(p * d * d) - mean * mean, 0.0)))
