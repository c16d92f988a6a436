"""LS + interpolation: exactness, noise statistics, geometry edge cases, err_var model."""

import math

import numpy as np
import pytest
import torch

from chanest.estimators import Observation, observe
from chanest.estimators.ls import METHODS, interp_1d_matrix, interpolation_matrix
from chanest.estimators.registry import build_estimator

LS = [f"ls-{m}" for m in METHODS]


def _mask(S=14, F=72, cells=()):
    m = np.zeros((S, F), bool)
    for s, f in cells:
        m[s, f] = True
    return m


@pytest.mark.parametrize("pilots", [{"pattern": "channelnet-48"}, {"pattern": "diamond"},
                                    {"pattern": "block", "symbols": [6]},
                                    {"pattern": "comb", "spacing": 72, "offset": 7}])
@pytest.mark.parametrize("name", LS)
def test_noiseless_ls_is_exact_at_pilots(name, pilots, sim_data):
    ctx, batch = sim_data(8, pilots=pilots)
    obs = Observation(y=batch.h.flatten(2)[..., ctx.pilot_idx] * torch.as_tensor(ctx.pilots),
                      no=torch.zeros(len(batch)))
    out = build_estimator(name, ctx).estimate(obs)
    h_p = batch.h.flatten(2)[..., ctx.pilot_idx]
    torch.testing.assert_close(out.h_hat.flatten(2)[..., ctx.pilot_idx], h_p,
                               atol=1e-4, rtol=1e-4)


def test_ls_pilot_error_variance_is_no(sim_data):
    """E|ĥ_p − h_p|² = no; tolerance 5 standard errors of the sample mean (|n|² ~ Exp)."""
    ctx, batch = sim_data(512, noise={"snr_db": [0.0, 10.0, 20.0]},
                          channel={"model": "pdp", "profile": "VehA", "speed_mps": 30.0,
                                   }, pilots={"pattern": "channelnet-48"})
    out = build_estimator("ls-linear", ctx).estimate(observe(batch))
    err = (out.h_hat - batch.h).flatten(2)[..., ctx.pilot_idx].abs() ** 2  # [B, L, P]
    for snr in (0.0, 10.0, 20.0):
        sel = batch.snr_db == snr
        no = 10 ** (-snr / 10)
        n = int(err[sel].numel())
        measured = float(err[sel].mean())
        assert abs(measured - no) < 5 * no / math.sqrt(n), (snr, measured, no)


@pytest.mark.parametrize("method", METHODS)
def test_interpolators_reproduce_constants(method):
    m = _mask(cells=[(0, 1), (0, 40), (6, 20), (13, 70), (9, 3), (4, 55)])
    w = interpolation_matrix(m, method)
    assert w.shape == (14 * 72, 6)
    if method != "rbf":  # a Gaussian RBF without polynomial term is not partition of unity
        # Clough-Tocher estimates gradients iteratively (SciPy's tol=1e-6)
        np.testing.assert_allclose(w.sum(1), 1.0, atol=1e-5 if method == "cubic" else 1e-9)


def test_linear_is_exact_for_planes_inside_the_hull():
    m = _mask(cells=[(0, 0), (0, 71), (13, 0), (13, 71), (6, 30)])
    w = interpolation_matrix(m, "linear")
    pts = np.argwhere(m)
    def plane(p):
        return 0.5 + 0.2 * p[..., 0] - 0.03 * p[..., 1]
    grid = np.argwhere(np.ones_like(m))
    np.testing.assert_allclose(w @ plane(pts), plane(grid), atol=1e-9)


def test_outside_the_hull_takes_the_nearest_pilot():
    m = _mask(cells=[(2, 10), (2, 20), (6, 15)])
    w = interpolation_matrix(m, "cubic").reshape(14, 72, 3)
    np.testing.assert_allclose(w[13, 15], [0, 0, 1])  # below the triangle: pilot (6, 15)
    np.testing.assert_allclose(w[0, 0], [1, 0, 0])


def test_collinear_pilots_interpolate_along_the_line():
    m = _mask(cells=[(5, 10), (5, 20)])  # one symbol: constant in time, linear in frequency
    w = interpolation_matrix(m, "linear").reshape(14, 72, 2)
    np.testing.assert_allclose(w[0, 15], [0.5, 0.5])
    np.testing.assert_allclose(w[13, 12], [0.8, 0.2])
    np.testing.assert_allclose(w[9, 71], [0, 1])
    single = interpolation_matrix(_mask(cells=[(3, 3)]), "rbf")
    np.testing.assert_allclose(single, 1.0)


def test_interp_1d_keeps_caller_order():
    w = interp_1d_matrix(np.array([4.0, 0.0]), np.array([0.0, 1.0, 4.0, 9.0]), "linear")
    np.testing.assert_allclose(w, [[0, 1], [0.25, 0.75], [1, 0], [1, 0]])


@pytest.mark.parametrize("name", [*LS, "dft"])
def test_err_var_is_calibrated(name, sim_data):
    """Reported mean err_var vs measured MSE within 1 dB (nominal statistics are exact here)."""
    ctx, batch = sim_data(768, noise={"snr_db": [0.0, 15.0, 30.0]},
                          channel={"model": "tdl", "profile": "C", "delay_spread_ns": [50, 300],
                                   "speed_mps": [0, 20]})
    out = build_estimator(name, ctx).estimate(observe(batch))
    for snr in (0.0, 15.0, 30.0):
        sel = batch.snr_db == snr
        measured = float(((out.h_hat - batch.h).abs() ** 2)[sel].mean())
        reported = float(out.err_var[sel].mean())
        assert abs(10 * math.log10(reported / measured)) < 1.0, (snr, measured, reported)
