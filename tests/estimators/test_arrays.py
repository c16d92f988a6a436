"""Estimators across antennas against closed forms: the joint Kronecker LMMSE against a dense
solve, and the per-grid paths reference against the dense LMMSE with R = V Vᴴ."""

import math

import pytest
import torch

from chanest.data.dataset import open_dataset
from chanest.data.simulate import Simulator
from chanest.data.writer import DatasetWriter
from chanest.estimators import Observation, observe
from chanest.estimators.registry import build_estimator
from chanest.metrics import ratio_db
from tests.stored import Stored

C128 = torch.complex128
ARRAY_CDL = {"models": [{"model": "cdl", "profile": "C", "delay_spread_ns": [50, 200],
                         "speed_mps": [0, 20]}], "array": {"columns": 4}, "paths": True}
SMALL = {"grid": {"num_subcarriers": 24}, "pilots": {"pattern": "block", "symbols": [2, 11]},
         "channel": ARRAY_CDL, "noise": {"snr_db": [0.0, 10.0, 20.0, 30.0]}}


def _dense_lmmse(r_hp, r_pp, z, no):
    """ĥ and diag of the error covariance of the LMMSE for blocks of R (complex128)."""
    w = r_hp @ torch.linalg.inv(r_pp + no * torch.eye(len(r_pp), dtype=C128))
    return w @ z, w


def test_unfitted_kronecker_lmmse_is_the_per_antenna_2d_lmmse(sim_data):
    ctx, batch = sim_data(32, **{**SMALL, "channel": {**ARRAY_CDL, "paths": False}})
    kron = build_estimator("lmmse-kron", ctx).estimate(observe(batch))
    flat = build_estimator("lmmse", ctx).estimate(observe(batch))
    torch.testing.assert_close(kron.h_hat, flat.h_hat, atol=2e-6, rtol=1e-4)
    torch.testing.assert_close(kron.err_var, flat.err_var, atol=2e-6, rtol=1e-4)


def test_fitted_kronecker_lmmse_is_the_dense_joint_lmmse_of_rs_kron_rtf(sim_data):
    ctx, batch = sim_data(64, **{**SMALL, "channel": {**ARRAY_CDL, "paths": False}})
    est = build_estimator("lmmse-kron", ctx).fit(Stored(batch[16:]))
    out = est.estimate(observe(batch[:4]))
    rs, tf = est._stats(4)
    r_hp, r_pp = torch.kron(rs, tf.r_hp), torch.kron(rs, tf.r_pp)
    r_diag = torch.kron(torch.diagonal(rs).real, tf.r_diag)
    pilots = torch.as_tensor(ctx.pilots, dtype=torch.complex64)
    for i in range(4):
        z = (batch.y[i] / pilots).reshape(-1).to(C128)
        h, w = _dense_lmmse(r_hp, r_pp, z, float(batch.no[i]))
        err = r_diag - (w * r_hp.conj()).sum(-1).real
        torch.testing.assert_close(out.h_hat[i].reshape(-1).to(C128), h, atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(out.err_var[i].reshape(-1).double(), err, atol=1e-6,
                                   rtol=1e-3)


def test_paths_reference_is_the_dense_lmmse_with_the_grids_own_paths(sim_data):
    ctx, batch = sim_data(8, **SMALL)
    out = build_estimator("genie-paths", ctx).estimate(observe(batch))
    S, F = ctx.mask.shape
    times, freqs = torch.as_tensor(ctx.times), torch.as_tensor(ctx.freqs)
    pidx = torch.as_tensor(ctx.pilot_idx)
    pilots = torch.as_tensor(ctx.pilots, dtype=torch.complex64)
    for i in range(3):
        p = batch.paths[i]
        dop = torch.exp(2j * math.pi * p.doppler.double()[:, None] * times.double())
        dly = torch.exp(-2j * math.pi * p.delay.double()[:, None] * freqs.double())
        v = torch.einsum("ka,ks,kf->kasf", p.gain.to(C128), dop, dly).reshape(len(dop), 4, -1)
        full = v.reshape(len(v), -1)  # [K, A·S·F]
        at_pilots = v[:, :, pidx].reshape(len(v), -1)  # [K, A·P]
        r_hp, r_pp = full.T @ at_pilots.conj(), at_pilots.T @ at_pilots.conj()
        z = (batch.y[i] / pilots).reshape(-1).to(C128)
        h, _ = _dense_lmmse(r_hp, r_pp, z, float(batch.no[i]))
        torch.testing.assert_close(out.h_hat[i].reshape(-1).to(C128), h, atol=1e-5, rtol=1e-4)
    assert out.h_hat.shape == (8, 4, S, F)


def test_paths_reference_beats_the_adaptive_lmmse_and_reports_its_error(sim_data):
    """Knowing each grid's paths is worth several dB on a 4-element array, and the
    reported mean error matches the measured one (the LMMSE's MSE depends only on R)."""
    ctx, batch = sim_data(128, **SMALL)
    obs = observe(batch)
    ref = build_estimator("genie-paths", ctx).estimate(obs)
    ada = build_estimator("lmmse-adaptive", ctx).estimate(obs)
    for snr in (0.0, 10.0, 20.0, 30.0):
        sel = batch.snr_db == snr
        err_ref = ((ref.h_hat - batch.h).abs() ** 2)[sel].flatten(1).sum(1)
        err_ada = ((ada.h_hat - batch.h).abs() ** 2)[sel].flatten(1).sum(1)
        assert ratio_db(err_ref.numpy(), err_ada.numpy()).db < -1.0, snr
        reported = float(ref.err_var[sel].mean())
        measured = float(((ref.h_hat - batch.h).abs() ** 2)[sel].mean())
        assert abs(10 * math.log10(reported / measured)) < 1.0, (snr, reported, measured)


def test_the_paths_reference_names_what_it_lacks(sim_data):
    ctx, batch = sim_data(4, **{**SMALL, "channel": {**ARRAY_CDL, "paths": False}})
    obs = observe(batch)
    with pytest.raises(Exception, match="genie-paths: the data carries no propagation paths"):
        build_estimator("genie-paths", ctx).estimate(Observation(obs.y, obs.no, obs.side))


def test_a_dataset_keeps_each_grids_paths_parameters_and_array(tmp_path):
    from chanest.data.scenario import parse_config

    scenario = parse_config({**SMALL, "chunk_size": 4, "channel": {
        "models": [{"model": "cdl", "profile": "D", "speed_mps": 5},
                   {"model": "umi", "speed_mps": [0, 3]}],
        "array": {"type": "upa", "rows": 2, "columns": 2}, "paths": True}})
    sim = Simulator(scenario)
    DatasetWriter(tmp_path / "a.h5", sim, 10).run()
    expected = sim.generate(10)
    with open_dataset(tmp_path / "a.h5") as ds:
        got = ds.read()
        k = expected.paths.gain.shape[1]
        assert got.paths.gain.shape[1] >= k
        torch.testing.assert_close(got.paths.gain[:, :k], expected.paths.gain)
        torch.testing.assert_close(got.paths.delay[:, :k], expected.paths.delay)
        assert (got.paths.gain[:, k:] == 0).all()
        assert set(got.params) == set(expected.params)
        torch.testing.assert_close(got.params["los"], expected.params["los"], equal_nan=True)
        import h5py

        with h5py.File(tmp_path / "a.h5") as f:
            assert f["array/positions"].shape == (4, 3)


def test_lmmse_on_per_grid_taps_is_refused_until_fitted_then_uses_the_training_moments(
        sim_data):
    """UMi draws its taps per grid (no scenario-average profile): ``lmmse`` builds, refuses
    to estimate with the reason, and after ``fit`` is the fitted LMMSE."""
    umi = {**SMALL, "channel": {"model": "umi", "speed_mps": [0, 3]}}
    ctx, batch = sim_data(64, **umi)
    est = build_estimator("lmmse", ctx)
    with pytest.raises(Exception, match="no scenario-average profile; fit the statistics"):
        est.estimate(observe(batch[:4]))
    out = est.fit(Stored(batch[8:])).estimate(observe(batch[:8]))
    ls = build_estimator("ls-linear", ctx).estimate(observe(batch[:8]))
    err = float(((out.h_hat - batch.h[:8]).abs() ** 2).mean())
    assert err < float(((ls.h_hat - batch.h[:8]).abs() ** 2).mean())
