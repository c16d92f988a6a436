"""Receiver-side second-order channel models (pure functions, torch float64).

On a grid with uniform symbol spacing T and subcarrier spacing Δf, a WSSUS
channel with PDP {τ_l, P_l} and a Doppler spectrum of maximum Doppler f_d has
the separable, doubly-Toeplitz covariance (row-major (symbol, subcarrier))::

    R[(s, f), (u, g)] = r_t[s − u] · r_f[f − g]
    r_f[k] = Σ_l P_l exp(−j2π k Δf τ_l)                     k = −(F−1) … F−1
    r_t[k] = J0(2π f_d k T)            (Jakes / Clarke spectrum)
    r_t[k] = sinc(2 f_d k T)           (uniform spectrum on [−f_d, f_d])

Uniform PDP on [0, τ_max] (the robust design of Li, Cimini & Sollenberger 1998):
``r_f[k] = exp(−jπ k Δf τ_max) · sinc(k Δf τ_max)``.

A prior is stored as *lags* (``t_lags [G, 2S−1]``, ``f_lags [G, 2F−1]``, index
``k + S − 1``), cheap to build for many parameter sets (the genie bound builds
one per sample). :class:`LagCov` is a mixture ``Σ_c w_c r_t,c ⊗ r_f,c`` (the
scenario's nominal model). Lag layout is checked against
the dense reference in ``tests/reference_covariance.py``.

Assumptions: LoS specular components and CDL angular spectra are treated as
diffuse taps with the Jakes spectrum, so for LoS/CDL models these are
approximations of the true covariance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from chanest.schema import ConfigError

__all__ = [
    "LagCov",
    "toeplitz",
    "pdp_freq_lags",
    "uniform_pdp_freq_lags",
    "exponential_pdp_freq_lags",
    "jakes_time_lags",
    "uniform_doppler_time_lags",
    "padded_taps",
    "sample_lags",
    "nominal_covariance",
    "robust_covariance",
    "max_scenario_delay",
    "model_weights",
    "cp_duration",
]

F64, C128 = torch.float64, torch.complex128


@dataclass(frozen=True)
class LagCov:
    """Mixture covariance Σ_c w_c (r_t,c ⊗ r_f,c) of the grid vector.

    Attributes:
        weights: [C] float64 mixture weights (sum to 1).
        t_lags: [C, 2S−1] complex128 time-correlation lags.
        f_lags: [C, 2F−1] complex128 frequency-correlation lags (carry the power).
        description: one line saying what statistics these are.
    """

    weights: torch.Tensor
    t_lags: torch.Tensor
    f_lags: torch.Tensor
    description: str = ""

    @property
    def num_symbols(self) -> int:
        return (self.t_lags.shape[-1] + 1) // 2

    @property
    def num_subcarriers(self) -> int:
        return (self.f_lags.shape[-1] + 1) // 2

    def marginals(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Separable approximation R ≈ R_t ⊗ R_f (exact for one component).

        Returns:
            r_t: [S, S] complex128 Σ_c w_c R_t,c (unit diagonal).
            r_f: [F, F] complex128 Σ_c w_c R_f,c (carries the power).
        """
        S, F = self.num_symbols, self.num_subcarriers
        t = torch.einsum("c,ck->k", self.weights.to(C128), self.t_lags)  # [2S−1]
        f = torch.einsum("c,ck->k", self.weights.to(C128), self.f_lags)  # [2F−1]
        ar_s, ar_f = torch.arange(S), torch.arange(F)
        return toeplitz(t, ar_s, ar_s), toeplitz(f, ar_f, ar_f)


def toeplitz(lags: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """Entries r[rows_i − cols_j] of a Toeplitz matrix given by its lags.

    Args:
        lags: [..., 2n−1] lag values, index k + n − 1 for lag k.
        rows: [M] int positions.  cols: [K] int positions.

    Returns:
        [..., M, K].
    """
    n = (lags.shape[-1] + 1) // 2
    idx = rows.to(lags.device)[:, None] - cols.to(lags.device)[None, :] + n - 1  # [M, K]
    return lags[..., idx]


def _lags(n: int, device=None) -> torch.Tensor:
    return torch.arange(-(n - 1), n, dtype=F64, device=device)  # [2n−1]


def pdp_freq_lags(num_subcarriers: int, spacing: float, delays: torch.Tensor,
                  powers: torch.Tensor) -> torch.Tensor:
    """r_f[k] = Σ_l P_l exp(−j2π k Δf τ_l).

    Args:
        delays: [G, C] tap delays [s].  powers: [G, C] tap powers (0 for padding).

    Returns:
        [G, 2F−1] complex128.
    """
    k = _lags(num_subcarriers, delays.device)  # [2F−1]
    phase = -2.0 * math.pi * spacing * k[None, :, None] * delays.to(F64)[:, None, :]  # [G,2F−1,C]
    return torch.einsum("gkc,gc->gk", torch.polar(torch.ones_like(phase), phase),
                        powers.to(C128))


def uniform_pdp_freq_lags(num_subcarriers: int, spacing: float, max_delay: float) -> torch.Tensor:
    """Uniform unit-power PDP on [0, τ_max]: r_f[k] = e^{−jπkΔfτ} sinc(kΔfτ). Returns [1, 2F−1]."""
    x = _lags(num_subcarriers) * spacing * max_delay  # [2F−1]
    return (torch.polar(torch.ones_like(x), -math.pi * x) * torch.sinc(x))[None]


def exponential_pdp_freq_lags(num_subcarriers: int, spacing: float,
                              rms_delay: torch.Tensor) -> torch.Tensor:
    """Continuous exponential unit-power PDP with RMS delay τ: r_f[k] = 1 / (1 + j2π k Δf τ).

    rms_delay: [G] seconds. Returns [G, 2F−1] complex128.
    """
    x = 2.0 * math.pi * _lags(num_subcarriers, rms_delay.device) * spacing  # [2F−1]
    return 1.0 / torch.complex(torch.ones(len(rms_delay), len(x), dtype=F64, device=x.device),
                               rms_delay.to(F64)[:, None] * x[None, :])


def jakes_time_lags(num_symbols: int, symbol_duration: float,
                    doppler: torch.Tensor) -> torch.Tensor:
    """r_t[k] = J0(2π f_d k T). doppler: [G] Hz. Returns [G, 2S−1] complex128."""
    dt = _lags(num_symbols, doppler.device) * symbol_duration  # [2S−1]
    arg = 2.0 * math.pi * doppler.to(F64)[:, None] * dt[None, :]
    return torch.special.bessel_j0(arg).to(C128)


def uniform_doppler_time_lags(num_symbols: int, symbol_duration: float,
                              doppler: torch.Tensor) -> torch.Tensor:
    """r_t[k] = sinc(2 f_d k T) (flat Doppler spectrum). doppler: [G]. Returns [G, 2S−1]."""
    dt = _lags(num_symbols, doppler.device) * symbol_duration
    return torch.sinc(2.0 * doppler.to(F64)[:, None] * dt[None, :]).to(C128)


def padded_taps(ctx, device=None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Tap tables of all context profiles, zero-padded to a common length.

    Returns:
        delays: [M, C] float64 (normalised or seconds, as in the profile).
        powers: [M, C] float64.
        scale: [M] bool, whether delays scale with the delay spread.
    """
    if not ctx.profiles:
        raise ConfigError("the dataset carries no channel profiles; this estimator needs "
                          "the scenario's tap profiles")
    empty = [p.name for p in ctx.profiles if len(p.delays) == 0]
    if empty:
        raise ConfigError(f"the {empty[0]} model draws its taps per grid and has no "
                          "scenario-average profile; fit the statistics from training data "
                          "(--fit-data), or use genie-paths as the per-grid reference")
    c = max(len(p.delays) for p in ctx.profiles)
    delays = torch.zeros(len(ctx.profiles), c, dtype=F64, device=device)
    powers = torch.zeros_like(delays)
    for i, p in enumerate(ctx.profiles):
        delays[i, : len(p.delays)] = torch.as_tensor(np.asarray(p.delays, np.float64))
        powers[i, : len(p.powers)] = torch.as_tensor(np.asarray(p.powers, np.float64))
    scale = torch.tensor([p.scale_delays for p in ctx.profiles], device=device)
    return delays, powers, scale


def sample_lags(ctx, model: torch.Tensor, delay_spread: torch.Tensor,
                doppler: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """True per-sample covariance lags (Jakes Doppler) from side information.

    Args:
        model: [G] int index into ``ctx.profiles``.
        delay_spread: [G] RMS delay spread [s].  doppler: [G] maximum Doppler [Hz].

    Returns:
        t_lags: [G, 2S−1], f_lags: [G, 2F−1] complex128.
    """
    dev = model.device
    delays, powers, scale = padded_taps(ctx, dev)
    d = delays[model] * torch.where(scale[model], delay_spread.to(F64), 1.0)[:, None]  # [G, C]
    grid = ctx.grid
    f = pdp_freq_lags(grid.num_subcarriers, grid.subcarrier_spacing, d, powers[model])
    t = jakes_time_lags(grid.num_symbols, grid.symbol_duration, doppler)
    return t, f


def _nodes(lo: float, hi: float, mode: str, num: int) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature nodes/weights of the uniform distribution on [lo, hi] (or its midpoint)."""
    if mode == "mid" or hi <= lo:
        return np.array([(lo + hi) / 2.0]), np.ones(1)
    x, w = np.polynomial.legendre.leggauss(num)
    return lo + (x + 1.0) * (hi - lo) / 2.0, w / 2.0


def nominal_covariance(ctx, mode: str = "average", num_nodes: int = 8) -> LagCov:
    """The scenario's nominal covariance, one mixture component per model entry.

    ``mode="average"``: E[R] over the scenario's uniform delay-spread and Doppler
    ranges (independent draws, Gauss–Legendre quadrature), i.e. the exact second-order
    statistics of the scenario's distribution; the LMMSE filter built from it is the
    best *linear* estimator for the whole scenario. ``mode="mid"``: mid-range values.
    Model entries are weighted by ``ctx.weights`` when the context carries them,
    equally otherwise.

    Returns:
        :class:`LagCov` with C = number of profiles.
    """
    if mode not in ("average", "mid"):
        raise ValueError(f"mode must be 'average' or 'mid', got {mode!r}")
    grid = ctx.grid
    delays, powers, scale = padded_taps(ctx)
    t_out, f_out = [], []
    for m in range(len(ctx.profiles)):
        ds, ds_w = _nodes(*ctx.delay_spread_range[m], mode, num_nodes)
        fd, fd_w = _nodes(*ctx.doppler_range[m], mode, num_nodes)
        factor = torch.as_tensor(ds) if bool(scale[m]) else torch.ones(len(ds), dtype=F64)
        d = delays[m][None, :] * factor[:, None]  # [nodes, C]
        f = pdp_freq_lags(grid.num_subcarriers, grid.subcarrier_spacing, d,
                          powers[m].expand_as(d))  # [nodes, 2F−1]
        t = jakes_time_lags(grid.num_symbols, grid.symbol_duration, torch.as_tensor(fd))
        f_out.append(torch.einsum("n,nk->k", torch.as_tensor(ds_w, dtype=C128), f))
        t_out.append(torch.einsum("n,nk->k", torch.as_tensor(fd_w, dtype=C128), t))
    return LagCov(model_weights(ctx), torch.stack(t_out),
                  torch.stack(f_out),
                  description=f"nominal ({mode} over the scenario ranges, "
                              f"{'+'.join(ctx.labels) or 'profiles'})")


def model_weights(ctx) -> torch.Tensor:
    """[M] mixture weights of the model entries: ``ctx.weights`` if present, else equal."""
    count = len(ctx.profiles)
    weights = tuple(getattr(ctx, "weights", ()) or ())
    if len(weights) != count:
        return torch.full((count,), 1.0 / count, dtype=F64)
    w = torch.tensor(weights, dtype=F64)
    return w / w.sum()


def cp_duration(grid) -> float:
    """Cyclic-prefix duration [s] (``GridConfig.cp_duration``)."""
    return grid.cp_duration


def max_scenario_delay(ctx) -> float:
    """Largest tap delay [s] of the scenario (profiles at the top of their delay-spread range);
    a model whose taps are drawn per grid (UMi/UMa/RMa) counts as the cyclic prefix."""
    out = 0.0
    for p, (_, ds_hi) in zip(ctx.profiles, ctx.delay_spread_range):
        taps = p.delays_for(ds_hi)
        out = max(out, float(np.max(taps)) if len(taps) else cp_duration(ctx.grid))
    return out


def robust_covariance(ctx, max_delay: float | None = None, max_doppler: float | None = None,
                      doppler_spectrum: str = "uniform") -> LagCov:
    """Robust design prior: uniform PDP on [0, τ_max] and a flat Doppler spectrum.

    Defaults: τ_max = cyclic-prefix duration, f_d,max = the largest Doppler of the
    scenario (0 if unknown). ``doppler_spectrum`` is ``"uniform"`` (band-limited,
    Li et al.) or ``"jakes"``.
    """
    grid = ctx.grid
    tau = cp_duration(grid) if max_delay is None else float(max_delay)
    fd = max((hi for _, hi in ctx.doppler_range), default=0.0) if max_doppler is None \
        else float(max_doppler)
    if tau < 0 or fd < 0:
        raise ValueError("max_delay and max_doppler must be >= 0")
    time_fn = {"uniform": uniform_doppler_time_lags, "jakes": jakes_time_lags}.get(
        doppler_spectrum)
    if time_fn is None:
        raise ValueError(f"doppler_spectrum must be 'uniform' or 'jakes', got {doppler_spectrum!r}")
    t = time_fn(grid.num_symbols, grid.symbol_duration, torch.tensor([fd], dtype=F64))
    f = uniform_pdp_freq_lags(grid.num_subcarriers, grid.subcarrier_spacing, tau)
    return LagCov(torch.ones(1, dtype=F64), t, f,
                  description=f"robust (uniform PDP to {tau * 1e6:.3g} us, {doppler_spectrum} "
                              f"Doppler to {fd:.4g} Hz)")
