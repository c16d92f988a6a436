"""export: TorchScript and ONNX graphs reproduce the PyTorch estimator's output."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from chanest.cli import main
from chanest.data.context import context_from_simulator
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.estimators.base import Observation
from chanest.estimators.export import export_model
from chanest.estimators.neural import NeuralEstimator
from chanest.models import MODELS, build_model, model_spec

#: smaller constructor arguments of some models, for speed (others export at their defaults)
SMALL = {"channelnet": {"dncnn_depth": 3}, "cenet": {"channels": 8, "blocks": 2},
         # the full graph needs a base made by a fixed linear map; 2 antennas as the data
         "arraynet": {"antennas": 2, "channels": 4, "blocks": 2, "base": "linear"},
         "inreesnet": {"filters": 8, "blocks": 1}, "attention": {"dim": 8, "heads": 2},
         "mtre": {"dim": 16, "heads": 2, "blocks": 1}, "ddae": {"widths": [8, 16]},
         "score": {"channels": 8, "blocks": 1, "steps": 2}}


def export_cases() -> list[tuple[str, dict]]:
    """(model, kwargs) of every model in :data:`chanest.models.MODELS`, and with an error
    head where the model takes ``err_head``."""
    cases = []
    for name, cls in MODELS.items():
        kwargs = SMALL.get(name, {})
        cases.append((name, kwargs))
        if "err_head" in inspect.signature(cls).parameters:
            cases.append((name, {**kwargs, "err_head": True}))
    return cases


CASES = export_cases()
IDS = [name + ("-err-head" if kwargs.get("err_head") else "") for name, kwargs in CASES]
#: ONNX export of every model runs with -m slow (3-7 s each); the default run exports the
#: convolutional and the antenna-mixing families, which share every export code path
ONNX_DEFAULT = {"channelnet", "cenet", "reesnet", "arraynet"}
ONNX_CASES = [case if case[0] in ONNX_DEFAULT else pytest.param(*case, marks=pytest.mark.slow)
              for case in CASES]


def _estimator(name, kwargs):
    ctx = context_from_simulator(Simulator(parse_config({"chunk_size": 16})))
    torch.manual_seed(0)
    model = build_model(name, **model_spec(name, kwargs, ctx.mask)["kwargs"])
    for p in model.parameters():  # random weights everywhere (zero-initialised heads too)
        torch.nn.init.normal_(p, std=0.1)
    err_map = (np.array([0.0, 30.0]), np.random.default_rng(0).uniform(
        0.01, 0.1, (2, *ctx.mask.shape)).astype(np.float32))
    est = NeuralEstimator(ctx, model, err_map=None if kwargs.get("err_head") else err_map)
    est.name = name
    return est


def _inputs(est, batch=3):
    g = torch.Generator().manual_seed(1)
    z = torch.randn(batch, 2, int(est.ctx.mask.sum()), dtype=torch.complex64, generator=g)
    no = torch.tensor([0.01, 0.1, 1.0])[:batch]
    ref = est.estimate(Observation(z * torch.as_tensor(est.ctx.pilots), no))
    return torch.view_as_real(z), no, ref


def _check(outputs, ref):
    h_hat, err_var = (o.detach() if torch.is_tensor(o) else torch.as_tensor(o) for o in outputs)
    torch.testing.assert_close(torch.view_as_complex(h_hat.contiguous()), ref.h_hat,
                               atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(err_var, ref.err_var, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_torchscript_full_graph_reproduces_the_estimator(tmp_path, name, kwargs):
    est = _estimator(name, kwargs)
    z, no, ref = _inputs(est)
    export_model(est, tmp_path / "m.pt", "torchscript", "full")
    with torch.no_grad():
        _check(torch.jit.load(str(tmp_path / "m.pt"))(z, no), ref)


@pytest.mark.parametrize("name,kwargs", ONNX_CASES, ids=IDS)
def test_onnx_full_graph_reproduces_the_estimator_in_onnxruntime(tmp_path, name, kwargs):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed "
                              "(pip install 'chanest[export]')")
    pytest.importorskip("onnxscript", reason="onnxscript is needed for ONNX export")
    est = _estimator(name, kwargs)
    z, no, ref = _inputs(est)
    export_model(est, tmp_path / "m.onnx", "onnx", "full")
    sess = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    _check(sess.run(None, {"z": z.numpy(), "no": no.numpy()}), ref)  # batch 3 != traced 2


def test_cli_exports_a_shipped_model_network_and_refuses_the_full_part(tmp_path):
    from chanest.commands.export import load_for_export

    runner = CliRunner()
    out = tmp_path / "lte.pt"
    r = runner.invoke(main, ["export", "pretrained:cenet-lte-mixture", "--format",
                             "torchscript", "--out", str(out)])
    assert r.exit_code == 0, r.output
    side = json.loads((tmp_path / "lte.pt.json").read_text())
    assert side["part"] == "network" and side["inputs"] == ["x"]
    est = load_for_export("pretrained:cenet-lte-mixture")
    x, _ = est.front.inputs(torch.randn(2, 1, 48, dtype=torch.complex64), torch.ones(2) * 0.1)
    torch.testing.assert_close(torch.jit.load(str(out))(x), est.model(x))
    again = runner.invoke(main, ["export", "pretrained:cenet-lte-mixture", "--format",
                                 "torchscript", "--out", str(out), "--part", "full",
                                 "--overwrite"])
    assert again.exit_code == 2 and "network only" in again.output
    kept = runner.invoke(main, ["export", "pretrained:cenet-lte-mixture", "--format", "onnx",
                                "--out", str(out)])
    assert kept.exit_code == 2 and "--overwrite" in kept.output
    bad = runner.invoke(main, ["export", "lmmse", "--format", "onnx", "--out", str(out)])
    assert bad.exit_code == 2 and "MODEL" in bad.output and "Traceback" not in bad.output
