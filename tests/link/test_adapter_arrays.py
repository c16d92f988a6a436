"""chanest.SionnaEstimator on a receive array: every antenna of a receiver reaches the
estimator in one call, so a spatial estimator (lmmse-kron fitted from data) uses the array
inside a Sionna receiver, while per-antenna estimators stay per antenna."""

from __future__ import annotations

import pytest
import torch

import chanest
from chanest.data.dataset import open_dataset
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.data.writer import DatasetWriter
from chanest.estimators.base import Observation
from chanest.estimators.registry import build_estimator
from chanest.grid.ofdm import to_sionna_resource_grid
from chanest.schema import ConfigError

pytest.importorskip("sionna.phy")

A = 4
ULA4 = {"seed": 3,
        "grid": {"num_subcarriers": 48, "num_symbols": 14, "subcarrier_spacing": 30000,
                 "carrier_frequency": 3.5e9},
        "pilots": {"pattern": "block", "symbols": [2, 11]},
        "channel": {"model": "cdl", "profile": "C", "delay_spread_ns": [100, 100],
                    "speed_mps": [3, 3], "array": {"type": "ula", "columns": A}},
        "noise": {"snr_db": [10]}}


@pytest.fixture(scope="module")
def array_data(tmp_path_factory):
    """(resource grid, training dataset path, simulator) of a CDL-C 4-ULA scenario."""
    path = tmp_path_factory.mktemp("ula4") / "fit.h5"
    sim = Simulator(parse_config(ULA4, source="ula4"))
    DatasetWriter(path, sim, 96).run()
    return to_sionna_resource_grid(sim.scenario.grid, sim.mask, sim.pilots), path, sim


def _received(sim, n=6, seed=1):
    """y [n, 1, A, S, F] (random: the filters are linear) and no [n]."""
    g = torch.Generator().manual_seed(seed)
    S, F = sim.mask.shape
    y = torch.randn(n, 1, A, S, F, generator=g, dtype=torch.complex64)
    return y, torch.rand(n, generator=g) * 0.2 + 0.01


def test_fitted_lmmse_kron_in_the_adapter_equals_chanests_own_call_on_the_same_y(array_data):
    rg, path, sim = array_data
    y, no = _received(sim)
    inside = chanest.SionnaEstimator(rg, "lmmse-kron", fit_data=path)
    h_hat, err_var = inside(y, no[:, None, None])
    with open_dataset(path) as ds:
        own = build_estimator("lmmse-kron", ds.context()).fit(ds)
        direct = own.estimate(Observation(y.reshape(len(y), A, -1)[..., sim.pilot_idx], no))
    assert own._rs is not None and not torch.allclose(  # a spatial covariance, not I
        own._rs, torch.eye(A, dtype=own._rs.dtype), atol=0.05)
    torch.testing.assert_close(h_hat[:, 0, :, 0, 0], direct.h_hat, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(err_var[:, 0, :, 0, 0], direct.err_var, rtol=1e-4, atol=1e-6)


def test_a_spatial_estimator_mixes_antennas_and_per_link_ones_stay_per_antenna(array_data):
    """Changing antenna 1's pilots moves antenna 0's estimate for fitted lmmse-kron; ls-linear
    and dft over all antennas at once equal them run on each antenna alone."""
    rg, path, sim = array_data
    y, no = _received(sim)
    y2 = y.clone()
    y2[:, :, 1] += 1.0
    kron = chanest.SionnaEstimator(rg, "lmmse-kron", fit_data=path)
    assert (kron(y, no)[0][:, 0, 0] - kron(y2, no)[0][:, 0, 0]).abs().max() > 1e-3
    for name in ("ls-linear", "dft"):
        est = chanest.SionnaEstimator(rg, name, scenario=ULA4)
        joint_h, joint_e = est(y, no[:, None, None])
        for a in range(A):
            h_a, e_a = est(y[:, :, a:a + 1], no[:, None, None])
            torch.testing.assert_close(h_a[:, :, 0], joint_h[:, :, a])
            torch.testing.assert_close(e_a[:, :, 0], joint_e[:, :, a])


def test_the_adaptive_array_estimator_in_the_adapter_equals_its_own_call_and_mixes_antennas(
        array_data):
    """lmmse-adaptive-array (no statistics, no fit) inside a Sionna receiver: the same estimate
    as chanest's own call on the same pilots, and antenna 1's pilots move antenna 0's estimate."""
    rg, path, sim = array_data
    y, no = _received(sim)
    with open_dataset(path) as ds:
        ctx = ds.context()
    est = chanest.SionnaEstimator(rg, "lmmse-adaptive-array", scenario=ULA4)
    h_hat, err_var = est(y, no[:, None, None])
    direct = build_estimator("lmmse-adaptive-array", ctx).estimate(
        Observation(y.reshape(len(y), A, -1)[..., sim.pilot_idx], no))
    torch.testing.assert_close(h_hat[:, 0, :, 0, 0], direct.h_hat, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(err_var[:, 0, :, 0, 0], direct.err_var, rtol=1e-4, atol=1e-6)
    y2 = y.clone()
    y2[:, :, 1] += 1.0
    assert (est(y, no)[0][:, 0, 0] - est(y2, no)[0][:, 0, 0]).abs().max() > 1e-3


def test_per_antenna_estimators_in_the_adapter_are_unchanged_on_an_array(array_data):
    """lmmse-adaptive (its prior weights pool the antennas of a grid) and ls-linear: the
    adapter's output equals chanest's own call on the same [B, A, P] pilots."""
    rg, path, sim = array_data
    y, no = _received(sim)
    with open_dataset(path) as ds:
        ctx = ds.context()
    for name in ("lmmse-adaptive", "ls-linear"):
        h_hat, err_var = chanest.SionnaEstimator(rg, name, scenario=ULA4)(y, no[:, None, None])
        direct = build_estimator(name, ctx).estimate(
            Observation(y.reshape(len(y), A, -1)[..., sim.pilot_idx], no))
        torch.testing.assert_close(h_hat[:, 0, :, 0, 0], direct.h_hat)
        torch.testing.assert_close(err_var[:, 0, :, 0, 0], direct.err_var)


def test_a_reference_or_training_data_on_another_layout_is_refused(array_data, tmp_path):
    rg, path, _ = array_data
    with pytest.raises(ConfigError, match="genie-paths is a reference"):
        chanest.SionnaEstimator(rg, "genie-paths")
    other = dict(ULA4, pilots={"pattern": "block", "symbols": [3, 10]})
    other_path = tmp_path / "other.h5"
    DatasetWriter(other_path, Simulator(parse_config(other, source="other")), 4).run()
    with pytest.raises(ConfigError, match="fit_data"):
        chanest.SionnaEstimator(rg, "lmmse-kron", fit_data=other_path)
