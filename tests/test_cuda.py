"""The CUDA paths (skipped without a GPU; ``sims/gpu_check.sh`` runs them with the rest of
the GPU check): simulation, the estimator contract, a training epoch with bf16 autocast and
channels_last, and deterministic training."""

import pytest
import torch

from chanest.data.context import context_from_simulator
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.estimators import observe
from chanest.estimators.registry import build_estimator
from chanest.models.io import unwrap
from chanest.training.loop import Trainer
from tests.training_setup import SCENARIO, experiment

pytestmark = pytest.mark.cuda

NAMES = ["ls-linear", "lmmse", "lmmse-adaptive", "pretrained:cenet-lte-mixture", "genie-lmmse"]


@pytest.fixture(scope="module")
def cuda_grids():
    sim = Simulator(parse_config({**SCENARIO, "chunk_size": 64}), device="cuda")
    return context_from_simulator(sim), sim.generate(64)


def test_grids_simulated_on_cuda_stay_there_and_have_unit_power(cuda_grids):
    _, batch = cuda_grids
    assert batch.h.device.type == "cuda" and batch.y.device.type == "cuda"
    power = float(batch.h.abs().pow(2).mean())
    assert 0.5 < power < 1.5 and torch.isfinite(batch.y).all()


@pytest.mark.parametrize("name", NAMES)
def test_estimator_keeps_the_contract_on_cuda(name, cuda_grids):
    ctx, batch = cuda_grids
    out = build_estimator(name, ctx, "cuda").estimate(observe(batch))
    for t, dtype in ((out.h_hat, torch.complex64), (out.err_var, torch.float32)):
        assert t.shape == batch.h.shape and t.dtype == dtype and t.device.type == "cuda"
        assert torch.isfinite(t).all()
    assert (out.err_var >= 0).all()
    nmse = (out.h_hat - batch.h).abs().pow(2).sum() / batch.h.abs().pow(2).sum()
    assert nmse < 0.5, float(nmse)


def test_a_training_epoch_on_cuda_with_bf16_and_channels_last(tmp_path, scenario_file):
    exp = experiment(tmp_path, scenario_file, train={"epochs": 1, "amp": "bf16",
                                                     "channels_last": True})
    trainer = Trainer(exp, "cuda", progress=False)
    assert trainer.amp_dtype == torch.bfloat16
    summary = trainer.fit()
    assert summary["best_val_score_db"] is not None
    assert (tmp_path / "runs" / "run" / "best.safetensors").is_file()


def test_deterministic_training_on_cuda_gives_identical_weights(tmp_path, scenario_file,
                                                                torch_flags):
    weights = []
    for name in ("a", "b"):
        trainer = Trainer(experiment(tmp_path, scenario_file, name=name,
                                     train={"epochs": 1, "deterministic": True}), "cuda",
                          progress=False)
        trainer.fit()
        weights.append(unwrap(trainer.model).state_dict())
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
