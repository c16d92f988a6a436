"""ArrayNet, the joint-antenna network: it starts as its base, mixes antennas (except its
per-antenna ablation), normalises whole grids, and refuses another array in one line."""

import numpy as np
import pytest
import torch

from chanest.data.context import context_from_simulator
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.estimators import observe
from chanest.estimators.checkpointed import load_neural_estimator
from chanest.estimators.neural import NeuralEstimator, NeuralFrontEnd
from chanest.estimators.registry import build_estimator
from chanest.models import build_model
from chanest.models.arraynet import MIXINGS
from chanest.schema import ConfigError
from chanest.training.loop import Trainer
from tests.training_setup import SCENARIO, experiment

TWO = {**SCENARIO, "channel": {**SCENARIO["channel"], "num_rx_antennas": 2}}
SMALL = {"channels": 4, "blocks": 2}
FLAT = (np.array([0.0]), np.ones((1, 14, 72), np.float32))  # a flat error map


def _grids(num=8, scenario=TWO):
    sim = Simulator(parse_config(scenario))
    return context_from_simulator(sim), sim.generate(num)


@pytest.mark.parametrize("mixing", MIXINGS)
def test_untrained_arraynet_is_exactly_its_base(mixing):
    """The output layer and every mixing step start at zero, and the per-grid scale cancels,
    so before training ArrayNet returns the per-antenna adaptive LMMSE estimate."""
    ctx, batch = _grids()
    net = NeuralEstimator(ctx, build_model("arraynet", antennas=2, mixing=mixing, **SMALL),
                          err_map=FLAT)
    ref = build_estimator("lmmse-adaptive", ctx).estimate(observe(batch))
    torch.testing.assert_close(net.estimate(observe(batch)).h_hat, ref.h_hat,
                               atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("mixing", MIXINGS)
def test_only_the_mixing_models_let_one_antenna_change_another(mixing):
    """With random weights, changing antenna 1's input changes antenna 0's output for
    ``dense`` and ``attention`` mixing and leaves it exactly alone for ``none``."""
    torch.manual_seed(0)
    model = build_model("arraynet", antennas=2, mixing=mixing, **SMALL).eval()
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.3)
    x = torch.randn(6, 7, 14, 24)  # 3 grids x 2 antennas
    other = x.clone()
    other[1::2] += torch.randn_like(other[1::2])  # antenna 1 of every grid
    with torch.no_grad():
        change = (model(x)[0::2] - model(other)[0::2]).abs().max().item()
    assert (change > 1e-3) if mixing != "none" else (change == 0.0), change


def test_a_joint_model_gets_one_scale_per_grid_and_per_link_models_one_per_link():
    ctx, batch = _grids()
    no = batch.no
    y = batch.y.clone()
    y[:, 1] *= 10  # antenna 1 ten times stronger
    _, per_link = NeuralFrontEnd(ctx, "interp-linear+mask+snr").inputs(y, no)
    _, joint = NeuralFrontEnd(ctx, "interp-linear+mask+snr", antennas=2).inputs(y, no)
    rms = (y.abs() ** 2).mean(dim=2).sqrt()  # [B, L] (unit-modulus pilots)
    torch.testing.assert_close(per_link, rms)
    torch.testing.assert_close(joint, (rms**2).mean(dim=1, keepdim=True).sqrt().expand(-1, 2))


def test_a_network_for_another_array_is_refused_in_one_line():
    ctx, batch = _grids()
    net = NeuralEstimator(ctx, build_model("arraynet", antennas=16, **SMALL), err_map=FLAT,
                          name="ckpt:a16")
    with pytest.raises(ConfigError) as err:
        net.estimate(observe(batch))
    assert str(err.value) == "ckpt:a16: a network trained for 16 antennas; the data has 2"


def test_training_on_another_array_is_refused_before_anything_is_written(tmp_path,
                                                                         scenario_file):
    exp = experiment(tmp_path, scenario_file,
                     model={"name": "arraynet", "kwargs": {"antennas": 4, **SMALL}})
    with pytest.raises(ConfigError, match="^model.kwargs.antennas: a network trained for 4 "
                                          "antennas; the data has 1$"):
        Trainer(exp, device="cpu", progress=False)
    assert not (tmp_path / "runs").exists()


def test_arraynet_trains_on_whole_grids_and_reloads_to_the_same_estimates(tmp_path):
    """One short epoch on 2-antenna grids; the best checkpoint loads as ``ckpt:`` and gives
    the trained network's estimates, and the training moved it away from its base."""
    import yaml

    scenario = tmp_path / "two.yaml"
    scenario.write_text(yaml.safe_dump(TWO))
    exp = experiment(tmp_path, scenario,
                     model={"name": "arraynet", "kwargs": {"antennas": 2, **SMALL}},
                     data={"samples_per_epoch": 32, "val_samples": 32},
                     train={"epochs": 1, "batch_size": 8})
    trainer = Trainer(exp, device="cpu", progress=False)
    trainer.fit()
    ctx, batch = _grids(4)
    est = load_neural_estimator(str(tmp_path / "runs" / "run" / "best"), ctx)
    again = NeuralEstimator(ctx, trainer.model.eval(), err_map=FLAT)
    obs = observe(batch)
    torch.testing.assert_close(est.estimate(obs).h_hat, again.estimate(obs).h_hat)
    base = build_estimator("lmmse-adaptive", ctx).estimate(obs).h_hat
    assert (est.estimate(obs).h_hat - base).abs().max() > 1e-4


def test_pooled_mixing_weights_are_bounded_cosines_whatever_the_feature_scale():
    """The pooled weights are cos(q_a, k_b)/A: unchanged when the features are scaled by
    1e3 (unnormalised grid-mean products grow 1e6-fold and diverged in training), and
    |M| ≤ 1/A."""
    from chanest.models.arraynet import PooledMixing

    torch.manual_seed(0)
    mix = PooledMixing(channels=8, heads=2)
    z = torch.randn(3, 4, 8, 5, 6)
    m = mix.weights(z)
    assert m.shape == (3, 2, 4, 4)
    torch.testing.assert_close(mix.weights(1e3 * z), m, rtol=1e-4, atol=1e-6)
    assert float(m.abs().max()) <= 1 / 4 + 1e-6
    assert float(m.std()) > 1e-3  # not constant: the weights depend on the grid
