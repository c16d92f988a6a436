"""``lmmse-full`` against closed forms: the dense LMMSE of its own fitted covariance, the
Kronecker moments of a separable channel, and the shrinkage choice."""

import pytest
import torch

from chanest.estimators import observe
from chanest.estimators.full import SHRINKAGE_GRID, _Moments
from chanest.estimators.registry import build_estimator
from chanest.schema import ConfigError
from tests.stored import Stored

C128 = torch.complex128
SMALL = {"grid": {"num_subcarriers": 24}, "pilots": {"pattern": "block", "symbols": [2, 11]},
         "channel": {"models": [{"model": "cdl", "profile": "C", "delay_spread_ns": [50, 200],
                                 "speed_mps": [0, 20]}], "array": {"columns": 4}},
         "noise": {"snr_db": [0.0, 10.0, 20.0, 30.0]}}


@pytest.fixture
def fitted(sim_data):
    ctx, batch = sim_data(96, **SMALL)
    est = build_estimator("lmmse-full", ctx).fit(Stored(batch[16:]))
    return ctx, batch, est


def test_estimate_and_err_var_are_the_dense_lmmse_of_the_fitted_covariance(fitted):
    ctx, batch, est = fitted
    m = _Moments(torch.as_tensor(ctx.pilot_idx))
    m.add(batch[16:].h.flatten(2).to(C128))
    a = est.alpha
    (s_hp, s_pp, s_d), (t_hp, t_pp, t_d) = m.blocks(4), m.kronecker(4)
    r_hp, r_pp, r_d = (1 - a) * s_hp + a * t_hp, (1 - a) * s_pp + a * t_pp, (1 - a) * s_d + a * t_d
    out = est.estimate(observe(batch[:4]))
    pilots = torch.as_tensor(ctx.pilots, dtype=torch.complex64)
    for i in range(4):
        z = (batch.y[i] / pilots).reshape(-1).to(C128)
        w = r_hp @ torch.linalg.inv(r_pp + float(batch.no[i]) * torch.eye(len(r_pp), dtype=C128))
        err = r_d.real - (w * r_hp.conj()).sum(-1).real
        torch.testing.assert_close(out.h_hat[i].reshape(-1).to(C128), w @ z, atol=2e-5, rtol=1e-4)
        torch.testing.assert_close(out.err_var[i].reshape(-1).double(), err.clamp_min(0),
                                   atol=2e-5, rtol=1e-3)


def test_the_kronecker_moments_of_a_separable_channel_are_its_sample_moments():
    A, S, F = 3, 4, 5
    gen = torch.Generator().manual_seed(1)
    s = torch.randn(A, dtype=C128, generator=gen)
    t = torch.randn(S * F, dtype=C128, generator=gen)
    h = torch.kron(s, t).reshape(1, A, S * F)  # one rank-one grid: R = ssᴴ ⊗ ttᴴ exactly
    m = _Moments(torch.tensor([0, 7, 13]))
    m.add(h)
    for sample, kron in zip(m.blocks(A), m.kronecker(A)):
        torch.testing.assert_close(kron, sample)


def test_the_shrinkage_is_the_held_out_best_of_the_grid_or_the_one_given(fitted):
    ctx, batch, est = fitted
    assert set(est.scores) == set(SHRINKAGE_GRID)
    assert est.scores[est.alpha] == min(est.scores.values())
    fixed = build_estimator("lmmse-full", ctx, shrinkage=1.0).fit(Stored(batch[16:]))
    assert fixed.alpha == 1.0 and fixed.scores == {}


def test_unfitted_mismatched_and_oversized_uses_are_one_line_errors(fitted):
    ctx, batch, est = fitted
    with pytest.raises(ConfigError, match="lmmse-full: no statistics; fit them"):
        build_estimator("lmmse-full", ctx).estimate(observe(batch[:2]))
    two = batch[:2]
    two.y = two.y[:, :2]
    with pytest.raises(ConfigError, match="fitted for 4 antennas, the data has 2"):
        est.estimate(observe(two))
    with pytest.raises(ConfigError, match="use lmmse-kron for arrays and grids this large"):
        build_estimator("lmmse-full", ctx, max_gb=1e-4).fit(Stored(batch[16:]))
    with pytest.raises(ConfigError, match=r"shrinkage must be in \[0, 1\]"):
        build_estimator("lmmse-full", ctx, shrinkage=2)
