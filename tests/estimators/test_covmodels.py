"""Covariance models against tests/reference_covariance.py (an independent dense implementation)."""

import numpy as np
import pytest
import torch
from scipy.integrate import quad

from chanest.estimators.covmodels import (
    nominal_covariance,
    robust_covariance,
    sample_lags,
    toeplitz,
)
from chanest.estimators.statistics import kron_blocks, lagcov_blocks
from tests.reference_covariance import freq_correlation, grid_covariance, time_correlation

MIXED = {"models": [{"model": "pdp", "profile": "VehA", "speed_mps": [0, 30]},
                    {"model": "tdl", "profile": "C", "delay_spread_ns": [100, 300],
                     "speed_mps": 10}]}


def _dense(ctx, model, ds, fd):
    p = ctx.profiles[model]
    return grid_covariance(time_correlation(ctx.times, fd),
                           freq_correlation(ctx.freqs, p.delays_for(ds), p.powers))


def test_sample_lags_match_dense_covariance(sim_data):
    ctx, _ = sim_data(4, channel=MIXED)
    params = [(0, 0.0, 120.0), (1, 2.3e-7, 37.5)]
    t, f = sample_lags(ctx, torch.tensor([p[0] for p in params]),
                       torch.tensor([p[1] for p in params], dtype=torch.float64),
                       torch.tensor([p[2] for p in params], dtype=torch.float64))
    blocks = kron_blocks(t, f, ctx.pilot_idx)
    for g, (m, ds, fd) in enumerate(params):
        r = _dense(ctx, m, ds, fd)
        np.testing.assert_allclose(blocks.r_hp[g].numpy(), r[:, ctx.pilot_idx], atol=1e-10)
        np.testing.assert_allclose(blocks.r_pp[g].numpy(),
                                   r[np.ix_(ctx.pilot_idx, ctx.pilot_idx)], atol=1e-10)
        np.testing.assert_allclose(blocks.r_diag[g].numpy(), np.real(np.diag(r)), atol=1e-10)


def test_nominal_average_is_the_mean_covariance_over_the_ranges(sim_data):
    """Quadrature over the uniform ranges vs a fine Riemann average of dense matrices."""
    ctx, _ = sim_data(4, channel=MIXED)
    blocks = lagcov_blocks(nominal_covariance(ctx, "average"), ctx.pilot_idx)
    ref = 0.0
    grid_ds = np.linspace(100e-9, 300e-9, 41)
    grid_fd = np.linspace(*ctx.doppler_range[0], 41)
    def w(x):
        return np.r_[0.5, np.ones(len(x) - 2), 0.5] / (len(x) - 1)  # trapezoid weights
    for fd, wf in zip(grid_fd, w(grid_fd)):
        ref = ref + 0.5 * wf * _dense(ctx, 0, 0.0, fd)
    for ds, wd in zip(grid_ds, w(grid_ds)):
        ref = ref + 0.5 * wd * _dense(ctx, 1, ds, ctx.doppler_range[1][0])
    np.testing.assert_allclose(blocks.r_hp.numpy(), ref[:, ctx.pilot_idx], atol=2e-3)


def test_robust_prior_is_uniform_pdp_and_flat_doppler(sim_data):
    ctx, _ = sim_data(4)
    tau, fd = 4e-6, 200.0
    cov = robust_covariance(ctx, max_delay=tau, max_doppler=fd)
    r_t, r_f = cov.marginals()
    df = ctx.grid.subcarrier_spacing
    for k in (1, 5):
        val = quad(lambda t, k=k: np.cos(2 * np.pi * k * df * t), 0, tau)[0] / tau - 1j * quad(
            lambda t, k=k: np.sin(2 * np.pi * k * df * t), 0, tau)[0] / tau
        assert abs(complex(r_f[k, 0]) - val) < 1e-9
    dt = ctx.grid.symbol_duration
    spectrum = quad(lambda nu: np.cos(2 * np.pi * nu * 3 * dt), -fd, fd)[0] / (2 * fd)
    assert abs(complex(r_t[3, 0]) - spectrum) < 1e-9


def test_toeplitz_layout():
    lags = torch.arange(-2, 3, dtype=torch.float64)  # r[k] = k, n = 3
    out = toeplitz(lags, torch.arange(3), torch.tensor([0, 2]))
    assert out.tolist() == [[0, -2], [1, -1], [2, 0]]


@pytest.mark.parametrize("mode", ["average", "mid"])
def test_nominal_power_is_one(sim_data, mode):
    ctx, _ = sim_data(4, channel=MIXED)
    blocks = lagcov_blocks(nominal_covariance(ctx, mode), ctx.pilot_idx)
    np.testing.assert_allclose(blocks.r_diag.numpy(), 1.0, atol=1e-9)
