"""lmmse-sionna is Sionna's LMMSEChannelEstimator, unchanged."""

import pytest
import torch
from sionna.phy.ofdm import LMMSEChannelEstimator

from chanest.estimators import observe
from chanest.estimators.registry import build_estimator
from chanest.grid.ofdm import to_sionna_resource_grid
from chanest.metrics import ratio_db, sample_errors
from chanest.schema import ConfigError


@pytest.mark.parametrize("order", ["f-t", "t-f"])
@pytest.mark.parametrize("pilots", [{"pattern": "channelnet-48"},
                                    {"pattern": "comb", "spacing": 4}])
def test_wrapper_equals_sionna_on_the_same_input(order, pilots, sim_data):
    ctx, batch = sim_data(3, pilots=pilots, noise={"snr_db": [0.0, 20.0, 40.0]},
                          channel={"model": "pdp", "profile": "EVA", "speed_mps": 20.0})
    est = build_estimator("lmmse-sionna", ctx, order=order)
    out = est.estimate(observe(batch))
    # Sionna's own call: the full received grid, with random data symbols off the pilots
    S, F = ctx.mask.shape
    B, L, _ = batch.y.shape
    y_grid = torch.randn(B, 1, L, S * F, dtype=torch.complex64)
    y_grid[..., torch.as_tensor(ctx.pilot_idx)] = batch.y[:, None]
    rg = to_sionna_resource_grid(ctx.grid, ctx.mask, ctx.pilots)
    ref_est = LMMSEChannelEstimator(rg, est.cov_time, est.cov_freq, order=order)
    h_ref, err_ref = ref_est(y_grid.reshape(B, 1, L, S, F), batch.no)
    assert h_ref.shape == (B, 1, L, 1, 1, S, F)
    torch.testing.assert_close(out.h_hat, h_ref[:, 0, :, 0, 0], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(out.err_var, err_ref[:, 0, :, 0, 0], rtol=1e-5, atol=1e-7)


def test_pilot_order_is_consistent_with_ours(sim_data):
    """Same statistics, same kind of filter: Sionna's f-t and our separable f-t agree closely."""
    ctx, batch = sim_data(32, noise={"snr_db": [25.0]},
                          channel={"model": "pdp", "profile": "VehA", "speed_mps": 20.0})
    obs = observe(batch)
    ours = sample_errors(batch.h, build_estimator("lmmse-separable", ctx).estimate(obs).h_hat)
    theirs = sample_errors(batch.h, build_estimator("lmmse-sionna", ctx).estimate(obs).h_hat)
    assert abs(ratio_db(theirs.err, ours.err).db) < 0.5


def test_spatial_orders_run_sionnas_estimator_with_the_fitted_space_covariance(sim_data):
    """With a spatial pass (``t-f-s``) and statistics fitted on training channels, the
    wrapper equals a direct call of Sionna's estimator with the same three covariances."""
    from chanest.estimators.sionna_lmmse import separable_covariances

    scenario = {"grid": {"num_subcarriers": 24}, "pilots": {"pattern": "block", "symbols": [2, 11]},
                "channel": {"model": "cdl", "profile": "C", "array": {"columns": 4},
                            "speed_mps": 5}, "noise": {"snr_db": [0.0, 20.0]}}
    ctx, batch = sim_data(48, **scenario)

    class Stored:
        fingerprint = "in memory"

        def iter_batches(self, batch_size, device="cpu"):
            yield batch[8:]

    est = build_estimator("lmmse-sionna", ctx, order="t-f-s").fit(Stored())
    out = est.estimate(observe(batch[:8]))
    r_t, r_f, r_s = separable_covariances(Stored())
    S, F = ctx.mask.shape
    y_grid = torch.zeros(8, 1, 4, S * F, dtype=torch.complex64)
    y_grid[..., torch.as_tensor(ctx.pilot_idx)] = batch.y[:8, None]
    rg = to_sionna_resource_grid(ctx.grid, ctx.mask, ctx.pilots)
    ref = LMMSEChannelEstimator(rg, r_t.to(torch.complex64), r_f.to(torch.complex64),
                                cov_mat_space=r_s.to(torch.complex64), order="t-f-s")
    h_ref, _ = ref(y_grid.reshape(8, 1, 4, S, F), batch.no[:8])
    torch.testing.assert_close(out.h_hat, h_ref[:, 0, :, 0, 0], rtol=1e-4, atol=1e-5)
    with pytest.raises(ConfigError, match="order must be f-t or t-f"):
        build_estimator("lmmse-sionna", ctx, order="t-s")
