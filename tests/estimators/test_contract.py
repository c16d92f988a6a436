"""Contract tests over the whole registry, and tiny untrained networks of every model
behind the same contract: shapes, dtypes, device, finiteness, err_var >= 0, batch-size
independence. The cases are read from the tables (:data:`REGISTRY`,
:data:`chanest.models.MODELS`), so a new entry is tested without being listed here."""

import inspect

import numpy as np
import pytest
import torch

from chanest import models
from chanest.estimators import Observation, observe
from chanest.estimators.neural import NeuralEstimator
from chanest.estimators.registry import REGISTRY, build_estimator
from chanest.models import build_model, model_spec
from chanest.models.arraynet import MIXINGS
from tests.stored import Stored

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
SNRS = [-20.0, 0.0, 20.0, 40.0, 60.0]
MASKS = {
    "channelnet-48": {"pattern": "channelnet-48"},
    "comb": {"pattern": "comb", "spacing": 4, "offset": 1},
    "one-symbol": {"pattern": "block", "symbols": [5]},
    "one-subcarrier": {"pattern": "comb", "spacing": 72, "offset": 30},
}


#: smaller constructor arguments of some models, for speed (others run at their defaults)
SMALL = {"channelnet": {"dncnn_depth": 4}, "reesnet": {"filters": 8, "blocks": 2},
         "cenet": {"channels": 8, "blocks": 2}, "inreesnet": {"filters": 8, "blocks": 1},
         "attention": {"dim": 8, "heads": 2, "blocks": 1},
         "mtre": {"dim": 16, "heads": 2, "blocks": 1}, "ddae": {"widths": [8, 16]},
         "score": {"channels": 8, "blocks": 1, "steps": 2},
         "arraynet": {"antennas": 2, "channels": 4, "blocks": 2}}  # the data's 2 antennas


def network_cases() -> dict[str, tuple[str, dict]]:
    """Untrained networks of every model in :data:`chanest.models.MODELS`: name → (model,
    kwargs); a model that takes ``err_head`` or ``base`` is also tested with an error head
    and on the ``lmmse-adaptive`` base, one that takes ``mixing`` with every other
    antenna mixing. Without an error head they get a flat measured error map."""
    cases = {}
    for model, cls in models.MODELS.items():
        kwargs = SMALL.get(model, {})
        cases[f"net:{model}"] = (model, kwargs)
        params = inspect.signature(cls).parameters
        if "err_head" in params:
            cases[f"net:{model}-err-head"] = (model, {**kwargs, "err_head": True})
        if "base" in params:
            cases[f"net:{model}-lmmse-adaptive"] = (model, {**kwargs, "base": "lmmse-adaptive"})
        if "mixing" in params:
            default = params["mixing"].default
            for mixing in MIXINGS:
                if mixing != default:
                    cases[f"net:{model}-{mixing}"] = (model, {**kwargs, "mixing": mixing})
    return cases


def estimator_cases() -> list[str]:
    """Every name the contract is checked for: the registry, then the networks."""
    return [*REGISTRY, *network_cases()]


NEURAL = network_cases()


def build(name, ctx, device="cpu", fit_on=None):
    """A registered estimator (fitted on the grids ``fit_on`` where it needs a fit), or one of
    the :data:`NEURAL` networks, untrained."""
    if name not in NEURAL:
        est = build_estimator(name, ctx, device)
        return est.fit(Stored(fit_on)) if REGISTRY[name].needs_fit else est
    spec = model_spec(*NEURAL[name], ctx.mask)
    model = build_model(spec["name"], **spec["kwargs"])
    err_map = None if model.has_err_head else (
        np.array([-20.0, 60.0]), np.full((2, *ctx.mask.shape), 0.1, np.float32))
    return NeuralEstimator(ctx, model, device, err_map=err_map, name=name)


def _data(sim_data, pilots, name=""):
    """Grids for estimator ``name``: a TDL/PDP mixture on 2 antennas; for estimators that
    read the propagation paths, a CDL mixture on a 2-element array with its paths."""
    if name in REGISTRY and REGISTRY[name].needs_paths:
        channel = {"models": [{"model": "cdl", "profile": "B", "delay_spread_ns": [50, 300],
                               "speed_mps": [0, 30]},
                              {"model": "cdl", "profile": "D", "speed_mps": 10}],
                   "num_rx_antennas": 2, "paths": True}
    else:
        channel = {"models": [{"model": "pdp", "profile": "VehA", "speed_mps": [0, 30]},
                              {"model": "tdl", "profile": "C",
                               "delay_spread_ns": [50, 300], "speed_mps": 10}],
                   "num_rx_antennas": 2}
    return sim_data(10, pilots=pilots, noise={"snr_db": SNRS}, channel=channel)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("mask", list(MASKS))
@pytest.mark.parametrize("name", estimator_cases())
def test_contract(name, mask, device, sim_data):
    ctx, batch = _data(sim_data, MASKS[mask], name)
    est = build(name, ctx, device, fit_on=batch)
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


@pytest.mark.parametrize("name", [n for n in estimator_cases() if n not in NEURAL])
def test_estimate_is_not_trivial(name, sim_data):
    """At 60 dB every estimator beats the all-zero guess by a wide margin on a smooth channel."""
    ctx, batch = _data(sim_data, MASKS["channelnet-48"], name)
    out = build(name, ctx, fit_on=batch).estimate(observe(batch))
    high = batch.snr_db == 60.0
    nmse = ((out.h_hat - batch.h).abs() ** 2)[high].sum() / (batch.h.abs() ** 2)[high].sum()
    assert nmse < 0.1, float(nmse)


@pytest.mark.parametrize("name", [n for n in estimator_cases()
                                  if n in NEURAL or REGISTRY[n].role == "practical"])
def test_practical_estimators_do_not_read_the_true_parameters(name, sim_data):
    """A practical estimator gives the same estimate without the side information only
    references and bounds may read."""
    ctx, batch = _data(sim_data, MASKS["channelnet-48"])
    est = build(name, ctx, fit_on=batch)
    obs = observe(batch)
    blind = est.estimate(Observation(obs.y, obs.no))
    torch.testing.assert_close(blind.h_hat, est.estimate(obs).h_hat)
