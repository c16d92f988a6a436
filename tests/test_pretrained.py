"""Shipped pretrained models: small, loadable by name, described, and better than LS."""

import pytest
from click.testing import CliRunner

from chanest.data.context import context_from_simulator
from chanest.data.scenario import load_config, parse_config
from chanest.data.simulate import Simulator
from chanest.estimators import observe
from chanest.estimators.registry import build_estimator
from chanest.pretrained import PRETRAINED_DIR, available, card
from chanest.schema import ConfigError
from tests.test_cli import run, write_cfg

SHIPPED = available()


def test_at_least_the_lte_and_nr_models_are_shipped():
    assert {"cenet-lte-mixture", "cenet-nr-dmrs"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_is_small_and_has_a_complete_card(name):
    size = sum((PRETRAINED_DIR / f"{name}{ext}").stat().st_size
               for ext in (".safetensors", ".json", ".card.json"))
    assert size < 2 * 2**20
    c = card(name)
    for key in ("scenario", "command", "budget", "val_nmse_db", "val_per_snr_db"):
        assert key in c, key
    assert c["budget"]["grids"] > 0 and c["budget"]["wall_s"] > 0


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_beats_ls_linear_on_fresh_grids_of_its_scenario(name):
    """48 fresh grids (a seed no training used) at 0, 15 and 30 dB: lower NMSE than
    ls-linear at each SNR."""
    base = load_config(card(name)["scenario"]).to_dict()
    base.update(seed=31337, noise={"snr_db": [0.0, 15.0, 30.0]})
    sim = Simulator(parse_config(base))
    ctx, batch = context_from_simulator(sim), sim.generate(48)
    obs = observe(batch)
    h_hat = {est: build_estimator(est, ctx).estimate(obs).h_hat
             for est in (f"pretrained:{name}", "ls-linear")}
    for snr in (0.0, 15.0, 30.0):
        sel = batch.snr_db == snr
        nmse = {est: float(((h - batch.h)[sel].abs() ** 2).sum() / (batch.h[sel].abs() ** 2).sum())
                for est, h in h_hat.items()}
        assert nmse[f"pretrained:{name}"] < nmse["ls-linear"], (snr, nmse)


def test_unknown_pretrained_name_lists_the_shipped_ones():
    sim = Simulator(parse_config({"chunk_size": 8}))
    with pytest.raises(ConfigError,
                       match="unknown pretrained model 'nope'; shipped: .*cenet-lte-mixture"):
        build_estimator("pretrained:nope", context_from_simulator(sim))


def test_pretrained_model_on_another_pilot_layout_is_refused_in_one_line():
    sim = Simulator(parse_config({"chunk_size": 8, "pilots": {"pattern": "channelnet-16"}}))
    with pytest.raises(ConfigError, match=r"^pretrained:cenet-lte-mixture: the network has "
                                          r"another pilot layout \(48 pilots"):
        build_estimator("pretrained:cenet-lte-mixture", context_from_simulator(sim))


def test_info_lists_every_shipped_model_with_its_budget():
    from chanest.cli import main

    res = CliRunner().invoke(main, ["info"])
    assert res.exit_code == 0
    for name in SHIPPED:
        assert f"  {name}:" in res.output
    assert "validation NMSE" in res.output and "trained with" in res.output


def test_no_model_weights_are_unpickled():
    """Shipped weights are safetensors + JSON only."""
    suffixes = {p.suffix for p in PRETRAINED_DIR.iterdir() if p.is_file()}
    assert suffixes <= {".safetensors", ".json", ".py"}


ARRAY_MODEL = "arraynet-umi-panel16"
#: the array model's grid and pilots, on a 4-antenna TDL channel
FOUR_ANTENNAS = {"chunk_size": 8, "grid": {"num_subcarriers": 48, "num_symbols": 14,
                                           "subcarrier_spacing": 30000,
                                           "carrier_frequency": 3.5e9},
                 "pilots": {"pattern": "block", "symbols": [2, 11]},
                 "channel": {"model": "tdl", "profile": "C", "num_rx_antennas": 4}}


def test_the_array_model_on_another_array_is_refused_in_one_line():
    sim = Simulator(parse_config(FOUR_ANTENNAS))
    est = build_estimator(f"pretrained:{ARRAY_MODEL}", context_from_simulator(sim))
    with pytest.raises(ConfigError) as err:
        est.estimate(observe(sim.generate(2)))
    assert str(err.value) == (f"pretrained:{ARRAY_MODEL}: a network trained for 16 antennas; "
                              "the data has 4")


def test_evaluate_refuses_the_array_model_on_another_array_without_writing(tmp_path):
    runner = CliRunner()
    data = tmp_path / "four.h5"
    res = run(runner, "simulate", "--config", write_cfg(tmp_path, FOUR_ANTENNAS), "-n", "8",
              "-o", data, "--device", "cpu")
    assert res.exit_code == 0, res.output
    res = run(runner, "evaluate", "--data", data, "--estimators",
              f"ls-linear,pretrained:{ARRAY_MODEL}", "--out", tmp_path / "res", "--device",
              "cpu", "-q")
    assert res.exit_code == 2
    assert res.stderr.strip().splitlines() == [
        f"Error: pretrained:{ARRAY_MODEL}: a network trained for 16 antennas; the data has 4"]
    assert not (tmp_path / "res" / "results.csv").exists()
