"""DFT-based (delay-domain truncation) estimator, after Edfors et al. (1996).

On every pilot-carrying symbol s with pilot subcarriers k_1 … k_K, the LS pilots are
fitted in the least-squares sense by a channel with taps on the delay grid
τ_n = n / (F Δf), n = −g … T−1+g::

    ĥ_s(f) = Φ(f) Φ_p^+ z_s,     Φ[f, n] = exp(−j2π f n / F),   Φ_p = Φ[k, :]

where T = ⌈τ_max F Δf⌉ + 1 bins reach past the maximum delay τ_max (default: the
scenario's largest tap delay; the cyclic prefix if the context has no profiles) and
g guard bins on each side catch the leakage of off-grid delays (default g = 1).
For a uniform comb covering the band (K·spacing = F) the columns of Φ_p are
orthogonal and this is exactly Edfors' IDFT → keep the first taps → DFT. If a
symbol has fewer pilots than taps, the taps are trimmed to K (guards first).

Between pilot symbols (lattices, blocks) the per-symbol estimates are
interpolated linearly in time and held constant before the first / after the last
pilot symbol; with pilots on every symbol (comb) no time interpolation happens.
The whole estimator is one fixed linear map; ``err_var`` is its MSE under the
nominal statistics (see :mod:`chanest.estimators.linear`).
"""

from __future__ import annotations

import numpy as np
import torch

from chanest.estimators.base import GridContext
from chanest.estimators.covmodels import cp_duration, max_scenario_delay
from chanest.estimators.linear import LinearFilterEstimator
from chanest.estimators.ls import interp_1d_matrix
from chanest.schema import ConfigError
from chanest.warn import warn

__all__ = ["delay_taps", "dft_matrix", "DFTEstimator"]


def delay_taps(num_bins: int, guard: int, num_pilots: int) -> np.ndarray:
    """Tap indices n = −guard … num_bins−1+guard, trimmed to at most ``num_pilots``."""
    taps = list(range(num_bins))
    g_lo = g_hi = 0
    while len(taps) < num_pilots and (g_lo < guard or g_hi < guard):
        if g_hi <= g_lo and g_hi < guard:
            g_hi += 1
            taps.append(num_bins - 1 + g_hi)
        else:
            g_lo += 1
            taps.insert(0, -g_lo)
    return np.array(taps[:num_pilots])


def dft_matrix(mask: np.ndarray, num_bins: int, guard: int = 1) -> np.ndarray:
    """DFT-interpolation map of a pilot mask.

    Args:
        mask: [S, F] bool pilot mask.
        num_bins: delay bins T covering the maximum delay.
        guard: guard bins on each side.

    Returns:
        [S·F, P] complex128 W with ĥ_grid = W · z.
    """
    S, F = mask.shape
    pilot_syms = np.flatnonzero(mask.any(1))  # [S_p]
    counts = mask.sum(1)
    first_col = np.concatenate([[0], np.cumsum(counts)])[:-1]  # first pilot column per symbol
    time = interp_1d_matrix(pilot_syms.astype(float), np.arange(S, dtype=float), "linear")
    w = np.zeros((S, F, int(mask.sum())), dtype=np.complex128)  # [S, F, P]
    sc = np.arange(F)
    for j, s in enumerate(pilot_syms):
        k = np.flatnonzero(mask[s])  # [K]
        taps = delay_taps(num_bins, guard, len(k))
        phi = np.exp(-2j * np.pi * np.outer(sc, taps) / F)  # [F, T']
        w_s = phi @ np.linalg.pinv(phi[k], rcond=1e-10)  # [F, K]
        cols = slice(first_col[s], first_col[s] + len(k))
        w[:, :, cols] += time[:, j, None, None] * w_s[None]
    return w.reshape(S * F, -1)


class DFTEstimator(LinearFilterEstimator):
    """Delay-domain truncation per pilot symbol + linear time interpolation."""

    noise_dependent = False

    def __init__(self, ctx: GridContext, device: str = "cpu", max_delay: float | None = None,
                 guard: int = 1):
        super().__init__(ctx, device)
        if max_delay is None:
            max_delay = max_scenario_delay(ctx) if ctx.profiles else cp_duration(ctx.grid)
        if max_delay < 0 or guard < 0:
            raise ConfigError(f"dft: max_delay and guard must be >= 0, got {max_delay}, {guard}")
        grid = ctx.grid
        self.num_bins = int(np.ceil(max_delay * grid.num_subcarriers * grid.subcarrier_spacing
                                    - 1e-9)) + 1
        self.guard = int(guard)
        self._w = torch.as_tensor(dft_matrix(ctx.mask, self.num_bins, self.guard))
        self._check_conditioning()

    def _check_conditioning(self) -> None:
        """Warn when the delay-domain fit amplifies the pilot noise (irregular pilots)."""
        S, F = self.ctx.mask.shape
        w = self._w.reshape(S, F, -1)
        syms = np.flatnonzero(self.ctx.mask.any(1))
        gain = (w[syms].abs() ** 2).sum(-1).mean(-1)  # [S_p] per-RE noise gain ‖W_i‖²
        worst = int(torch.argmax(gain))
        if float(gain[worst]) > 2.0:
            warn(f"dft: the pilots on symbol {int(syms[worst])} are too irregular or sparse "
                 f"for a {len(delay_taps(self.num_bins, self.guard, F))}-tap delay-domain fit: "
                 f"it amplifies the pilot noise {10 * np.log10(float(gain[worst])):.1f} dB "
                 "(assumes a regular comb); prefer ls-linear or lmmse-adaptive")

    def weights(self, no: float) -> torch.Tensor:  # W is noise-independent
        return self._w

    def provenance(self) -> dict:
        return {**super().provenance(), "delay_bins": self.num_bins, "guard_bins": self.guard}
