"""lmmse-adaptive: beats the robust design on short channels, never reads the truth,
reports a calibrated error, and is the exact Bayes estimator when the bank holds the truth."""

import dataclasses

import numpy as np
import pytest
import torch

from chanest.estimators import Observation, observe
from chanest.estimators.registry import build_estimator
from chanest.metrics import ratio_db, sample_errors

SNRS = [0.0, 10.0, 20.0, 30.0]
SHORT = {"models": [{"model": "pdp", "profile": "EPA", "speed_mps": [0, 30]},
                    {"model": "tdl", "profile": "C", "delay_spread_ns": [10, 100],
                     "speed_mps": [0, 30]}]}


def _nmse_db(batch, out, sel):
    e = sample_errors(batch.h, out.h_hat)
    return ratio_db(e.err[sel], e.power[sel]).db


def test_beats_robust_lmmse_when_the_delay_spread_is_far_below_the_cp(sim_data):
    """EPA (43 ns RMS) and TDL-C at 10-100 ns on LTE (CP 4.7 us): >= 3 dB better at 20-30 dB
    and no worse at 0-10 dB than the uniform-PDP-to-the-CP design."""
    ctx, batch = sim_data(1024, channel=SHORT, noise={"snr_db": SNRS})
    obs = observe(batch)
    ada = build_estimator("lmmse-adaptive", ctx).estimate(obs)
    rob = build_estimator("lmmse-robust", ctx).estimate(obs)
    for snr in SNRS:
        sel = (batch.snr_db == snr).numpy()
        gain = _nmse_db(batch, rob, sel) - _nmse_db(batch, ada, sel)
        assert gain > (3.0 if snr >= 20 else 0.0), (snr, gain)


def test_never_reads_the_true_channel_or_side_information(sim_data):
    """The estimate depends only on (y, no): no side info, scrambled h and side info change
    nothing, and a batch of pure noise gives a finite, small estimate."""
    ctx, batch = sim_data(64, channel=SHORT, noise={"snr_db": SNRS})
    est = build_estimator("lmmse-adaptive", ctx)
    full = est.estimate(observe(batch))
    bare = est.estimate(Observation(y=batch.y.clone(), no=batch.no.clone()))
    scrambled = dataclasses.replace(batch, h=torch.zeros_like(batch.h),
                                    delay_spread=batch.delay_spread * 0 + 1e-3,
                                    doppler=batch.doppler * 0 + 1e4)
    other = est.estimate(observe(scrambled))
    torch.testing.assert_close(full.h_hat, bare.h_hat)
    torch.testing.assert_close(full.h_hat, other.h_hat)
    torch.testing.assert_close(full.err_var, other.err_var)


def test_err_var_is_calibrated_within_half_a_db_at_every_snr(sim_data):
    """mean err_var vs measured MSE on the short-channel mixture, 0/10/20/30 dB, ±0.5 dB
    (4 standard errors of the measured MSE must fit in the tolerance too)."""
    ctx, batch = sim_data(4096, channel=SHORT, noise={"snr_db": SNRS})
    out = build_estimator("lmmse-adaptive", ctx).estimate(observe(batch))
    e = sample_errors(batch.h, out.h_hat, out.err_var)
    for snr in SNRS:
        sel = (batch.snr_db == snr).numpy()
        mse = ratio_db(e.mse[sel])
        assert 4 * (mse.hi - mse.db) / 1.96 < 0.5
        gap = 10 * np.log10(e.err_var[sel].mean()) - mse.db
        assert abs(gap) < 0.5, (snr, gap)


def test_a_one_prior_bank_is_that_priors_lmmse_filter(sim_data):
    """A bank of one prior (uniform PDP to the CP, static) gives exactly the robust LMMSE
    estimate of that design, whatever the noise level: the posterior weighting and the
    eigen-form filters add nothing and lose nothing."""
    from chanest.estimators.covmodels import cp_duration

    ctx, batch = sim_data(64, channel=SHORT, noise={"snr_db": SNRS})
    tau = cp_duration(ctx.grid) / np.sqrt(12.0)  # uniform on [0, CP] has this RMS delay
    one = build_estimator("lmmse-adaptive", ctx, num_delays=1, num_dopplers=1,
                          shapes=("uniform",), delay_range=(tau, tau))
    rob = build_estimator("lmmse-robust", ctx, max_doppler=0.0)
    obs = observe(batch)
    torch.testing.assert_close(one.estimate(obs).h_hat, rob.estimate(obs).h_hat,
                               atol=2e-4, rtol=1e-3)


def test_posterior_prefers_the_bank_member_closest_to_the_channel(sim_data):
    """At 30 dB, static channels with a 0-Hz Doppler get most posterior weight on static
    priors, and a long ETU channel on priors of RMS delay above 300 ns."""
    ctx, batch = sim_data(64, channel={"model": "pdp", "profile": "ETU", "speed_mps": 0},
                          noise={"snr_db": [30.0]})
    est = build_estimator("lmmse-adaptive", ctx)
    idx, w = est.posterior(observe(batch))  # [B, k]
    tau = torch.as_tensor(est.params[:, 1])[idx]
    fd = torch.as_tensor(est.params[:, 2])[idx]
    assert float((w * (tau > 300e-9)).sum(1).mean()) > 0.9
    assert float((w * (fd < 100.0)).sum(1).mean()) > 0.9


def test_kronecker_fast_path_equals_the_dense_bank(sim_data):
    """On a product pilot set (two pilot symbols x every 6th subcarrier, L = 2 links) the
    Kronecker bank gives the same posterior, estimate and error as the dense bank."""
    from chanest.estimators.adaptive_bank import DenseBank, KroneckerBank

    ctx, batch = sim_data(64, channel={**SHORT, "num_rx_antennas": 2}, noise={"snr_db": SNRS},
                          pilots={"pattern": "kronecker", "symbols": [2, 9], "spacing": 6})
    fast = build_estimator("lmmse-adaptive", ctx)
    assert isinstance(fast.bank, KroneckerBank)
    slow = build_estimator("lmmse-adaptive", ctx)
    slow.bank = DenseBank(*_bank_args(slow), np.flatnonzero(ctx.mask))
    obs = observe(batch)
    z, no = fast._front(obs)
    torch.testing.assert_close(fast.log_posterior(z, no), slow.log_posterior(z, no),
                               rtol=1e-4, atol=1e-2)
    a, b = fast.estimate(obs), slow.estimate(obs)
    torch.testing.assert_close(a.h_hat, b.h_hat, rtol=1e-3, atol=1e-4)
    torch.testing.assert_close(a.err_var, b.err_var, rtol=1e-3, atol=1e-5)


def _bank_args(est):
    from chanest.estimators.adaptive import bank_lags

    return bank_lags(est.ctx.grid, est.delays, est.dopplers, est.shapes)[:4]


def test_bad_bank_options_are_refused_with_the_allowed_values(sim_data):
    from chanest.schema import ConfigError

    ctx, _ = sim_data(8, channel=SHORT)
    with pytest.raises(ConfigError, match="shapes must be from exponential, uniform"):
        build_estimator("lmmse-adaptive", ctx, shapes=("gaussian",))
    with pytest.raises(ConfigError, match="must be >= 1"):
        build_estimator("lmmse-adaptive", ctx, top_k=0)
