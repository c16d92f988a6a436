"""Extending chanest the way README's "Contributing: extending chanest" shows: a toy
estimator, model, channel model, pilot pattern and figure, each added to its table only
(monkeypatch restores the tables), are picked up everywhere they should be."""

from __future__ import annotations

import csv
from typing import ClassVar, Literal

import numpy as np
import pytest
import torch
from torch import nn

from chanest import channels, models
from chanest.channels import ChannelSampler, ModelBase
from chanest.channels.profiles import TapProfile
from chanest.data.context import context_from_simulator
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.estimators import Estimate, Estimator, build_estimator, observe, role_of
from chanest.estimators.catalog import REGISTRY, Entry
from chanest.estimators.registry import available_estimators, parse_estimator_names
from chanest.grid import pilots
from chanest.grid.pilots import PilotBase, pilot_mask, pilot_patterns
from chanest.models import Model, build_model, model_spec
from chanest.plots.metrics import METRICS, Metric
from chanest.plots.style import _FIXED, _NEURAL, FigureStyles
from tests.estimators import test_contract as contract
from tests.estimators.conftest import simulate
from tests.test_cli import run, write_cfg


class MeanLS(Estimator):
    """The LS values at the pilots, averaged, on every RE of the grid."""

    def estimate(self, obs):
        x = torch.as_tensor(self.ctx.pilots, device=obs.y.device)
        h = (obs.y / x).mean(-1)  # [B, L]
        B, L = h.shape
        S, F = self.ctx.mask.shape
        return Estimate(h[..., None, None].expand(B, L, S, F).contiguous(),
                        torch.ones(B, L, S, F, device=obs.y.device))


class TinyNet(Model):
    """One convolution on top of the linear interpolation."""

    input_kind = "interp-linear+mask+snr"

    def __init__(self, width: int = 3):
        super().__init__()
        self.conv = nn.Conv2d(4, 2, width, padding=width // 2)
        nn.init.zeros_(self.conv.weight)
        nn.init.zeros_(self.conv.bias)

    def forward(self, x):
        return x[:, :2] + self.conv(x)


class FlatSampler(ChannelSampler):
    """One Rayleigh tap per antenna, constant over the grid, drawn from chanest's generator."""

    def _build(self):
        return None

    def _profile(self):
        return TapProfile(self.label, np.zeros(1), np.ones(1), scale_delays=False)

    def _draw(self, n, doppler, gen, paths):
        L, S = self.num_rx_antennas, self.grid.num_symbols
        re, im = torch.randn(2, n, 1, L, 1, 1, 1, 1, generator=gen, device=gen.device)
        a = (torch.complex(re, im) / 2**0.5).expand(-1, -1, -1, -1, -1, -1, S)
        return a, torch.zeros(n, 1, 1, 1, device=gen.device)


class FlatModel(ModelBase):
    description: ClassVar[str] = "toy flat Rayleigh fading"
    model: Literal["toy-flat"]

    @property
    def label(self) -> str:
        return "toy-flat"

    def sampler(self, grid, array, device):
        return FlatSampler(self, grid, array, device)


class EdgePilots(PilotBase):
    description: ClassVar[str] = "toy: every 6th subcarrier on the first and last symbol"
    pattern: Literal["toy-edges"]

    def mask(self, grid):
        mask = np.zeros((grid.num_symbols, grid.num_subcarriers), dtype=bool)
        mask[[0, -1], ::6] = True
        return mask


GAP = Metric("gap_db", "NMSE − MSE [dB]", "NMSE minus MSE [dB]",
             derive=lambda row: row["nmse_db"] - row["mse_db"])


@pytest.fixture
def toys(monkeypatch):
    """Each toy added to its table, as README shows (monkeypatch restores the tables)."""
    monkeypatch.setitem(REGISTRY, "mean-ls", Entry(MeanLS, "LS averaged over the pilots"))
    monkeypatch.setitem(models.MODELS, "tiny", TinyNet)
    monkeypatch.setattr(channels, "MODELS", (*channels.MODELS, FlatModel))
    monkeypatch.setattr(pilots, "PATTERNS", (*pilots.PATTERNS, EdgePilots))
    monkeypatch.setitem(METRICS, "gap", GAP)


TOY_SCENARIO = {"chunk_size": 64, "channel": {"model": "toy-flat", "num_rx_antennas": 2},
                "pilots": {"pattern": "toy-edges"}, "noise": {"snr_db": [0, 20]}}


def test_the_toy_estimator_is_built_listed_and_styled(toys):
    ctx, batch = simulate(8, channel={"model": "pdp", "profile": "EPA"})
    est = build_estimator("mean-ls", ctx)
    assert (est.name, est.role, role_of("mean-ls")) == ("mean-ls", "practical", "practical")
    assert est.estimate(observe(batch)).h_hat.shape == batch.h.shape
    assert "mean-ls" in available_estimators() and "mean-ls" in parse_estimator_names("all")
    look = FigureStyles(["lmmse", "mean-ls"]).of("mean-ls", "practical")
    assert look["color"] not in {c for c, _, _ in [*_FIXED.values(), *_NEURAL]}


def test_the_toy_model_is_built_and_checked_by_the_contract_test(toys, monkeypatch):
    mask = np.ones((14, 72), dtype=bool)
    assert isinstance(build_model("tiny", **model_spec("tiny", {}, mask)["kwargs"]), TinyNet)
    assert "net:tiny" in contract.network_cases()
    assert "net:tiny" in contract.estimator_cases() and "mean-ls" in contract.estimator_cases()
    monkeypatch.setattr(contract, "NEURAL", contract.network_cases())
    contract.test_contract("net:tiny", "channelnet-48", "cpu", simulate)


def test_the_toy_channel_model_is_parsed_and_simulated_at_unit_power(toys):
    scenario = parse_config(TOY_SCENARIO)
    assert isinstance(scenario.channel.models[0], FlatModel)
    batch = Simulator(scenario).generate(256)
    assert batch.h.shape == (256, 2, 14, 72)
    assert float((batch.h.abs() ** 2).mean()) == pytest.approx(1.0, abs=0.15)
    assert torch.allclose(batch.h[:, :, :1, :1].expand_as(batch.h), batch.h)  # flat in S, F


def test_the_toy_pilot_pattern_is_parsed_and_places_its_mask(toys):
    scenario = parse_config(TOY_SCENARIO)
    assert isinstance(scenario.pilots, EdgePilots)
    expected = np.zeros((14, 72), dtype=bool)
    expected[[0, 13], ::6] = True
    np.testing.assert_array_equal(pilot_mask(scenario.pilots, scenario.grid), expected)
    np.testing.assert_array_equal(context_from_simulator(Simulator(scenario)).mask, expected)
    assert pilot_patterns()["toy-edges"] == EdgePilots.description


def test_the_toys_run_through_info_simulate_evaluate_and_plot(toys, runner, tmp_path):
    info = run(runner, "info")
    assert "toy-edges" in info.output and "toy-flat  toy flat Rayleigh fading" in info.output
    data, out = tmp_path / "toy.h5", tmp_path / "results"
    assert run(runner, "simulate", "--config", write_cfg(tmp_path, TOY_SCENARIO), "-n", 64,
               "--out", data, "-q").exit_code == 0
    res = run(runner, "evaluate", "--data", data, "--estimators", "mean-ls,ls-linear",
              "--out", out, "-q")
    assert res.exit_code == 0, res.output
    with (out / "results.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["estimator"] == "mean-ls"]
    assert rows and {r["role"] for r in rows} == {"practical"}
    assert "mean-ls" in run(runner, "evaluate", "--list-estimators").output
    res = run(runner, "plot", out / "results.csv", "--metric", "gap", "--out", tmp_path / "gap")
    assert res.exit_code == 0, res.output
    with (tmp_path / "gap.csv").open() as fh:
        points = {(p["estimator"], float(p["x"])): float(p["y"]) for p in csv.DictReader(fh)}
    for row in rows:
        assert points[("mean-ls", float(row["snr_db"]))] == pytest.approx(
            float(row["nmse_db"]) - float(row["mse_db"]), abs=1e-3)
