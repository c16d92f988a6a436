"""Scenario config: defaults, presets, YAML round trip, validation messages."""

from pathlib import Path

import pytest
import yaml

from chanest.data.scenario import Scenario, load_config, parse_config
from chanest.schema import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_default_scenario_is_complete():
    sc = Scenario()
    assert sc.grid.num_subcarriers == 72 and sc.grid.num_symbols == 14
    assert sc.pilots.pattern == "channelnet-48"
    assert sc.channel.models[0].profile == "VehA"


def test_configs_default_yaml_matches_embedded_default():
    """configs/default.yaml is the YAML rendering of Scenario(); they must not drift."""
    on_disk = load_config(REPO / "configs" / "default.yaml")
    assert on_disk == Scenario()


@pytest.mark.parametrize("path", sorted([*(REPO / "configs").glob("*.yaml"),
                                          *(REPO / "configs" / "families").glob("*.yaml")]))
def test_shipped_scenarios_validate_and_round_trip(path):
    sc = load_config(path)
    assert parse_config(sc.to_dict()) == sc


@pytest.mark.parametrize("preset,F,scs", [("lte-72x14", 72, 15e3), ("nr-612x14", 612, 30e3),
                                          ("nr-624x14", 624, 30e3)])
def test_presets(preset, F, scs):
    sc = parse_config({"grid": {"preset": preset}, "pilots": {"pattern": "comb"}})
    assert (sc.grid.num_subcarriers, sc.grid.num_symbols, sc.grid.subcarrier_spacing) == \
        (F, 14, scs)


def test_preset_fields_can_be_overridden():
    sc = parse_config({"grid": {"preset": "nr-624x14", "carrier_frequency": 28e9},
                       "pilots": {"pattern": "comb"}})
    assert sc.grid.carrier_frequency == 28e9 and sc.grid.num_subcarriers == 624


def test_grid_without_preset_requires_fields():
    with pytest.raises(ConfigError, match=r"grid\.num_subcarriers: required field is missing"):
        parse_config({"grid": {"preset": None, "num_symbols": 14}})


def test_single_model_shorthand_and_mixture():
    one = parse_config({"channel": {"model": "tdl", "profile": "C", "num_rx_antennas": 2}})
    assert len(one.channel.models) == 1 and one.channel.num_rx_antennas == 2
    mix = parse_config({"channel": {"models": [{"model": "pdp", "profile": "EPA"},
                                               {"model": "cdl", "profile": "B", "weight": 3}]}})
    assert [m.model for m in mix.channel.models] == ["pdp", "cdl"]


def test_scalar_ranges_expand():
    sc = parse_config({"channel": {"model": "tdl", "delay_spread_ns": 30, "speed_mps": 3}})
    assert sc.channel.models[0].delay_spread_ns == (30.0, 30.0)
    assert sc.channel.models[0].speed_mps == (3.0, 3.0)


def test_yaml_round_trip_and_fingerprint():
    sc = parse_config({"seed": 7, "noise": {"snr_db_range": [0, 20]}})
    again = parse_config(yaml.safe_load(sc.to_yaml()))
    assert again == sc and again.fingerprint() == sc.fingerprint()
    assert parse_config({"seed": 8}).fingerprint() != sc.fingerprint()


def test_yaml_is_loaded_safely(tmp_path):
    """A YAML tag that would construct a Python object is rejected, not executed."""
    path = tmp_path / "evil.yaml"
    path.write_text("seed: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(path)


@pytest.mark.parametrize("channel", [
    {"model": "tdl", "profile": "A30", "doppler_hz": [5, 50]},
    {"model": "tdl", "profile": "C", "delay_spread_ns": [30, 300]},
    {"model": "cdl", "profile": "D", "speed_mps": 3},
    {"model": "rayleigh"},
])
def test_every_model_round_trips(channel):
    sc = parse_config({"channel": channel})
    assert parse_config(yaml.safe_load(sc.to_yaml())) == sc
