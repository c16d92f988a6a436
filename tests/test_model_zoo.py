"""The models on a classical base: untrained they are their base; InReEsNet reads the
grid at the pilots only; the score model's steps follow their stated formula."""

import inspect

import numpy as np
import pytest
import torch

from chanest.data.context import context_from_simulator
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.estimators.neural import NeuralFrontEnd
from chanest.models import MODELS, build_model, model_spec
from chanest.models.corrected import Corrected, noise_plane

SMALL = {"inreesnet": {"filters": 4, "blocks": 1}, "attention": {"dim": 8, "heads": 2},
         "mtre": {"dim": 8, "heads": 2, "blocks": 1}, "ddae": {"widths": [4, 8]},
         "score": {"channels": 4, "blocks": 1}, "cenet": {"channels": 4, "blocks": 1},
         "arraynet": {"antennas": 1, "channels": 4, "blocks": 1}}  # the data's one antenna
CORRECTED = [n for n, cls in MODELS.items() if issubclass(cls, Corrected)]
BASES = ["linear", "lmmse-adaptive"]


@pytest.fixture(scope="module")
def grids():
    sim = Simulator(parse_config({"seed": 3, "chunk_size": 16, "noise": {"snr_db": [0, 20]}}))
    return context_from_simulator(sim), sim.generate(4)


def _model(name, ctx, **kwargs):
    torch.manual_seed(0)
    spec = model_spec(name, {**SMALL.get(name, {}), **kwargs}, ctx.mask)
    return build_model(name, **spec["kwargs"]).eval()


_INPUTS: dict[str, torch.Tensor] = {}


def _inputs(model, ctx, batch):
    """The model's input planes for ``batch`` (built once per input kind)."""
    if model.input_kind not in _INPUTS:
        front = NeuralFrontEnd(ctx, model.input_kind, "cpu", model.base_options)
        _INPUTS[model.input_kind] = front.inputs(batch.y, batch.no)[0]
    return _INPUTS[model.input_kind].clone()


def test_every_new_architecture_takes_both_bases():
    for name in ("inreesnet", "attention", "mtre", "ddae", "score"):
        assert name in CORRECTED
        assert "base" in inspect.signature(MODELS[name]).parameters


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("name", [n for n in CORRECTED if n != "score"])
def test_an_untrained_corrected_model_is_its_base_estimate(name, base, grids):
    ctx, batch = grids
    model = _model(name, ctx, base=base)
    x = _inputs(model, ctx, batch)
    with torch.no_grad():
        torch.testing.assert_close(model(x), x[:, :2])


def test_inreesnet_correction_depends_on_the_pilot_res_only(grids):
    ctx, batch = grids
    model = _model("inreesnet", ctx)
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.1)
    x = _inputs(model, ctx, batch)
    other = x.clone()
    data = torch.as_tensor(~ctx.mask)
    other[:, :2, data] += torch.randn_like(other[:, :2, data])  # change every data RE
    with torch.no_grad():
        torch.testing.assert_close(model(other) - other[:, :2], model(x) - x[:, :2])
        assert not torch.allclose(model(x), x[:, :2])


def test_untrained_score_steps_pull_the_pilots_toward_ls_by_the_wiener_weights(grids):
    """With D(h) = h, step k moves each pilot RE by η·σ_k²/(no + σ_k²) of its LS residual,
    so after K steps the residual is the product of (1 − η·w_k); data REs stay."""
    ctx, batch = grids
    steps, eta, ratio = 3, 0.5, 0.2
    model = _model("score", ctx, base="lmmse-adaptive", steps=steps, step_size=eta,
                   final_ratio=ratio)
    x = _inputs(model, ctx, batch)
    with torch.no_grad():
        out = model(x)
    h0, z, var0, no = x[:, :2], x[:, 3:5], torch.exp(x[:, 2:3]), noise_plane(x)
    keep = torch.ones_like(var0)
    for k in range(steps):
        var = var0 * ratio ** (k / (steps - 1))
        keep = keep * (1 - eta * var / (no + var))
    mask = torch.as_tensor(ctx.mask)
    expected = torch.where(mask, z - keep * (z - h0), h0)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-4)
    assert not torch.allclose(out, h0)


def test_one_score_step_is_the_denoiser_plus_the_weighted_pilot_residual(grids):
    ctx, batch = grids
    model = _model("score", ctx, base="lmmse-adaptive", steps=1)
    for p in model.out.parameters():
        torch.nn.init.normal_(p, std=0.1)
    x = _inputs(model, ctx, batch)
    with torch.no_grad():
        model.enter_stage("denoiser")
        d = model(x)
        model.enter_stage(None)
        full = model(x)
    h0, z, var0 = x[:, :2], x[:, 3:5], torch.exp(x[:, 2:3])
    w = var0 / (noise_plane(x) + var0) * torch.as_tensor(ctx.mask, dtype=torch.float32)
    assert not torch.allclose(d, h0)
    torch.testing.assert_close(full, d + w * (z - h0), atol=1e-5, rtol=1e-4)


def test_patch_and_pooling_models_run_on_grids_that_are_not_multiples(grids):
    ctx, _ = grids
    mask = np.zeros((13, 70), bool)
    mask[[2, 9], ::5] = True
    x = torch.randn(2, 4, 13, 70)
    x[:, 2] = torch.as_tensor(mask, dtype=torch.float32)
    for name, kwargs in (("mtre", {"patch": [4, 6]}), ("ddae", {"widths": [4, 8, 8, 8]})):
        spec = model_spec(name, {**SMALL[name], **kwargs}, mask)
        model = build_model(name, **spec["kwargs"]).eval()
        for p in model.parameters():
            torch.nn.init.normal_(p, std=0.1)
        with torch.no_grad():
            out = model(x)
        assert out.shape == (2, 2, 13, 70) and torch.isfinite(out).all()
