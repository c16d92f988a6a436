"""Simulated channels against theory: power, frequency and time correlation, pilot noise.

Tolerances are statistical: a multiple of the standard error of the estimate,
measured from the same samples, plus (for the sum-of-sinusoids Doppler model) the
model's known deviation from the Jakes limit.
"""

import numpy as np
import pytest
import torch
from scipy.special import j0

from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.grid.ofdm import subcarrier_frequencies, symbol_times
from tests.reference_covariance import freq_correlation

N = 4096  # grids per statistic


def simulate(channel, n=N, **extra):
    sc = parse_config({"chunk_size": 512, "channel": channel, **extra})
    sim = Simulator(sc)
    return sim, sim.generate(n)


@pytest.mark.parametrize("channel", [
    {"model": "pdp", "profile": "ETU", "speed_mps": [0, 30]},
    {"model": "pdp", "profile": "PedA"},
    {"model": "tdl", "profile": "A", "delay_spread_ns": [30, 300], "speed_mps": [0, 10]},
    {"model": "tdl", "profile": "D", "delay_spread_ns": 100, "speed_mps": 3},   # Rician (LoS)
    {"model": "tdl", "profile": "B100"},                                        # fixed delays
    {"model": "cdl", "profile": "C", "delay_spread_ns": 300, "speed_mps": 3},
    {"model": "cdl", "profile": "E", "delay_spread_ns": 30},                    # Rician (LoS)
    {"model": "rayleigh"},
])
def test_unit_average_power(channel):
    _, b = simulate({**channel, "num_rx_antennas": 2}, n=2048)
    per_grid = (b.h.abs() ** 2).mean(dim=(2, 3)).double()  # [B, L]
    mean = per_grid.mean().item()
    stderr = per_grid.std().item() / np.sqrt(per_grid.numel())
    assert abs(mean - 1.0) < 5 * stderr + 1e-3, (mean, stderr)


def _empirical_freq_corr(h: torch.Tensor) -> np.ndarray:
    """[F] r(Δ) = mean over grids, links, symbols and m of h(f_{m+Δ}) h*(f_m)."""
    x = h.reshape(-1, h.shape[-1]).to(torch.complex128)
    F = x.shape[-1]
    return np.array([(x[:, d:] * x[:, :F - d].conj()).mean().item() for d in range(F)])


@pytest.mark.parametrize("channel", [
    {"model": "pdp", "profile": "EVA"},
    {"model": "pdp", "profile": "VehA"},
    {"model": "tdl", "profile": "C", "delay_spread_ns": 300},
    {"model": "cdl", "profile": "A", "delay_spread_ns": 100},
])
def test_frequency_correlation_matches_pdp(channel):
    """E[h(f+Δf) h*(f)] = Σ_l P_l exp(−j2πΔf τ_l) for the recorded delays."""
    sim, b = simulate(channel)
    profile = sim.samplers[0].profile
    delays = profile.delays_for(float(b.delay_spread[0]))
    freqs = subcarrier_frequencies(sim.scenario.grid)
    theory = freq_correlation(freqs, delays, profile.powers)[:, 0]  # lag Δ = f_Δ − f_0
    emp = _empirical_freq_corr(b.h[:, :, :1])  # one symbol: static channel
    # standard error of a lag estimate ≈ 1/sqrt(grids); allow 5 of them
    assert np.max(np.abs(emp - theory)) < 5 / np.sqrt(N), np.max(np.abs(emp - theory))
    # and the test has teeth: doubling the delays is far outside the tolerance
    wrong = freq_correlation(freqs, 2 * delays, profile.powers)[:, 0]
    assert np.max(np.abs(emp - wrong)) > 10 / np.sqrt(N)


def _empirical_time_corr(h: torch.Tensor) -> np.ndarray:
    """[S] r(Δ) = mean of h(t_{s+Δ}) h*(t_s) per grid, then over grids: [B, S]."""
    x = h.to(torch.complex128)
    S = x.shape[2]
    return torch.stack([(x[:, :, d:] * x[:, :, :S - d].conj()).mean(dim=(1, 2, 3)).real
                        for d in range(S)], dim=1).numpy()


@pytest.mark.parametrize("model", [{"model": "pdp", "profile": "VehA"},
                                   {"model": "tdl", "profile": "A", "delay_spread_ns": 100}])
def test_time_correlation_is_jakes(model):
    """E[h(t+Δt) h*(t)] = J0(2π f_d Δt) within the sum-of-sinusoids tolerance."""
    sim, b = simulate({**model, "doppler_hz": 400})
    dt = symbol_times(sim.scenario.grid)
    theory = j0(2 * np.pi * 400 * dt)  # drops to ≈ 0.16 across the 14 symbols
    emp = _empirical_time_corr(b.h).mean(axis=0)
    # 20-sinusoid model: deviation from J0 ≲ 0.02 at these lags; plus 5 standard errors
    assert np.max(np.abs(emp - theory)) < 0.02 + 5 / np.sqrt(N), np.abs(emp - theory).max()
    static = np.ones_like(theory)  # an unmodelled Doppler would fail here
    assert np.max(np.abs(emp - static)) > 0.5


def test_recorded_doppler_is_the_one_simulated():
    """With speeds drawn per sample, the recorded f_d predicts each grid's time correlation."""
    sim, b = simulate({"model": "pdp", "profile": "VehA", "speed_mps": [0, 60]})
    dt = symbol_times(sim.scenario.grid)
    fd = b.doppler.double().numpy()
    assert fd.min() >= 0 and fd.max() <= 60 * 2.6e9 / 299_792_458.0
    emp = _empirical_time_corr(b.h)  # [B, S]
    fast = fd > np.median(fd)
    for group in (fast, ~fast):
        theory = j0(2 * np.pi * fd[group, None] * dt[None, :]).mean(axis=0)
        stderr = emp[group].std(axis=0) / np.sqrt(group.sum())
        assert np.all(np.abs(emp[group].mean(axis=0) - theory) < 0.02 + 5 * stderr)
    # shuffling the record breaks the agreement for the fast half
    shuffled = j0(2 * np.pi * np.sort(fd)[: fast.sum(), None] * dt[None, :]).mean(axis=0)
    assert np.max(np.abs(emp[fast].mean(axis=0) - shuffled)) > 0.05


def test_ls_error_at_pilots_has_variance_no():
    """LS at pilots, y/x_p − h_p, is CN(0, no): its variance per SNR equals no = 10^(−SNR/10)."""
    sim, b = simulate({"model": "pdp", "profile": "EPA"},
                      noise={"snr_db": [-10, 0, 10, 30]})
    pilots = torch.as_tensor(sim.pilots)
    h_p = b.h.reshape(len(b), 1, -1)[..., torch.as_tensor(sim.pilot_idx)]
    err = b.y / pilots - h_p  # [B, L, P]
    for snr in (-10, 0, 10, 30):
        sel = b.snr_db == snr
        e = err[sel]
        measured = (e.abs() ** 2).double().mean().item()
        expected = 10 ** (-snr / 10)
        assert torch.allclose(b.no[sel], torch.tensor(expected, dtype=torch.float32))
        # |e|²/no is Exp(1): relative standard error 1/sqrt(n)
        assert abs(measured / expected - 1) < 5 / np.sqrt(e.numel()), (snr, measured)
        # circular: real and imaginary parts carry half the power each
        assert abs((e.real ** 2).double().mean().item() / expected - 0.5) < 5 / np.sqrt(e.numel())
