"""Contract tests over the whole registry, and tiny untrained networks of every model
behind the same contract: shapes, dtypes, device, finiteness, err_var >= 0, batch-size
independence."""

import numpy as np
import pytest
import torch

from chanest.estimators import observe
from chanest.estimators.neural import NeuralEstimator
from chanest.estimators.registry import REGISTRY, build_estimator
from chanest.models import build_model, model_spec

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
SNRS = [-20.0, 0.0, 20.0, 40.0, 60.0]
MASKS = {
    "channelnet-48": {"pattern": "channelnet-48"},
    "comb": {"pattern": "comb", "spacing": 4, "offset": 1},
    "one-symbol": {"pattern": "block", "symbols": [5]},
    "one-subcarrier": {"pattern": "comb", "spacing": 72, "offset": 30},
}


#: tiny untrained networks: name → (model, kwargs); without an error head they get a
#: flat measured error map
NEURAL = {
    "net:channelnet": ("channelnet", {"dncnn_depth": 4}),
    "net:reesnet": ("reesnet", {"filters": 8, "blocks": 2}),
    "net:cenet": ("cenet", {"channels": 8, "blocks": 2}),
    "net:cenet-err-head": ("cenet", {"channels": 8, "blocks": 2, "err_head": True}),
    "net:cenet-lmmse-adaptive": ("cenet", {"channels": 8, "blocks": 2,
                                           "base": "lmmse-adaptive"}),
}


def build(name, ctx, device="cpu"):
    """A registered estimator, or one of the :data:`NEURAL` networks, untrained."""
    if name not in NEURAL:
        return build_estimator(name, ctx, device)
    spec = model_spec(*NEURAL[name], ctx.mask)
    model = build_model(spec["name"], **spec["kwargs"])
    err_map = None if model.has_err_head else (
        np.array([-20.0, 60.0]), np.full((2, *ctx.mask.shape), 0.1, np.float32))
    return NeuralEstimator(ctx, model, device, err_map=err_map, name=name)


def _data(sim_data, pilots):
    return sim_data(10, pilots=pilots, noise={"snr_db": SNRS},
                    channel={"models": [{"model": "pdp", "profile": "VehA", "speed_mps": [0, 30]},
                                        {"model": "tdl", "profile": "C",
                                         "delay_spread_ns": [50, 300], "speed_mps": 10}],
                             "num_rx_antennas": 2})


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("mask", list(MASKS))
@pytest.mark.parametrize("name", [*REGISTRY, *NEURAL])
def test_contract(name, mask, device, sim_data):
    ctx, batch = _data(sim_data, MASKS[mask])
    est = build(name, ctx, device)
    obs = observe(batch.to(device))
    out = est.estimate(obs)
    B, L, S, F = batch.h.shape
    for t, dtype in ((out.h_hat, torch.complex64), (out.err_var, torch.float32)):
        assert t.shape == (B, L, S, F)
        assert t.dtype == dtype
        assert t.device.type == torch.device(device).type
        assert torch.isfinite(t).all()
    assert (out.err_var >= 0).all()
    # one grid at a time gives the same answer as the batch
    one = est.estimate(observe(batch[3:4].to(device)))
    torch.testing.assert_close(one.h_hat, out.h_hat[3:4], atol=2e-4, rtol=2e-3)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_estimate_is_not_trivial(name, sim_data):
    """At 60 dB every estimator beats the all-zero guess by a wide margin on a smooth channel."""
    ctx, batch = _data(sim_data, MASKS["channelnet-48"])
    out = build_estimator(name, ctx).estimate(observe(batch))
    high = batch.snr_db == 60.0
    nmse = ((out.h_hat - batch.h).abs() ** 2)[high].sum() / (batch.h.abs() ** 2)[high].sum()
    assert nmse < 0.1, float(nmse)
