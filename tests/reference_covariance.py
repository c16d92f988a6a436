"""Second-order statistics of WSSUS channels on an OFDM grid (pure functions).

For a channel with PDP {τ_l, P_l} and Jakes Doppler spectrum with maximum
Doppler f_d, the covariance of the grid vector h (row-major over
(symbol, subcarrier)) is separable::

    R = R_t ⊗ R_f,
    R_f[m, n] = E[h(f_m) h*(f_n)] = Σ_l P_l exp(−j2π (f_m − f_n) τ_l),
    R_t[s, u] = J0(2π f_d (t_s − t_u)).

All functions are NumPy float64/complex128 for accuracy; callers cast.
"""

from __future__ import annotations

import numpy as np
from scipy.special import j0

__all__ = [
    "freq_correlation",
    "time_correlation",
    "grid_covariance",
    "lmmse_error_covariance",
    "lmmse_mse",
]


def freq_correlation(freqs: np.ndarray, delays: np.ndarray, powers: np.ndarray) -> np.ndarray:
    """Frequency correlation matrix.

    Args:
        freqs: [F] subcarrier frequencies [Hz].
        delays: [C] tap delays [s].
        powers: [C] mean tap powers (linear).

    Returns:
        [F, F] complex128, R_f[m, n] = Σ_l P_l exp(−j2π (f_m − f_n) τ_l).
    """
    df = np.asarray(freqs, np.float64)[:, None] - np.asarray(freqs, np.float64)[None, :]  # [F, F]
    phase = -2j * np.pi * df[..., None] * np.asarray(delays, np.float64)  # [F, F, C]
    return np.exp(phase) @ np.asarray(powers, np.float64)


def time_correlation(times: np.ndarray, doppler: float) -> np.ndarray:
    """Jakes time correlation matrix.

    Args:
        times: [S] OFDM symbol start times [s].
        doppler: maximum Doppler frequency f_d [Hz].

    Returns:
        [S, S] float64, R_t[s, u] = J0(2π f_d (t_s − t_u)).
    """
    dt = np.asarray(times, np.float64)[:, None] - np.asarray(times, np.float64)[None, :]
    return j0(2.0 * np.pi * float(doppler) * dt)


def grid_covariance(r_t: np.ndarray, r_f: np.ndarray) -> np.ndarray:
    """[S·F, S·F] covariance R_t ⊗ R_f of the row-major (symbol, subcarrier) grid vector."""
    return np.kron(r_t, r_f)


def lmmse_error_covariance(r: np.ndarray, pilot_idx: np.ndarray, no: float) -> np.ndarray:
    """Error covariance of the LMMSE estimate of h from y_p = h_p + n, n ~ CN(0, no·I).

    E = R − R_hp (R_pp + no·I)^{-1} R_ph, with R_hp = R[:, p], R_pp = R[p][:, p].
    (Unit-modulus pilots leave the LS observation h_p + n with the same statistics.)

    Args:
        r: [N, N] Hermitian grid covariance.
        pilot_idx: [P] flat indices of pilot REs.
        no: noise variance (linear).

    Returns:
        [N, N] error covariance.
    """
    r_hp = r[:, pilot_idx]  # [N, P]
    r_pp = r_hp[pilot_idx, :] + no * np.eye(len(pilot_idx))  # [P, P]
    gain = np.linalg.solve(r_pp, r_hp.conj().T).conj().T  # [N, P] = R_hp R_pp^{-1}
    return r - gain @ r_hp.conj().T


def lmmse_mse(r: np.ndarray, pilot_idx: np.ndarray, no: float) -> float:
    """Closed-form LMMSE MSE per RE: tr(R − R_hp (R_pp + no·I)^{-1} R_ph) / N."""
    err = lmmse_error_covariance(r, pilot_idx, no)
    return float(np.real(np.trace(err)) / r.shape[0])
