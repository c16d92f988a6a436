"""Registry: explicit names, clear errors, honest labels."""

import pytest

from chanest.estimators.registry import (
    REGISTRY,
    available_estimators,
    build_estimator,
    parse_estimator_names,
)
from chanest.schema import ConfigError


def _ctx(sim_data):
    return sim_data(8, channel={"model": "pdp", "profile": "EPA", "speed_mps": 3.0})[0]


def test_unknown_name_lists_known_names(sim_data):
    with pytest.raises(ConfigError) as err:
        build_estimator("lmse", _ctx(sim_data))
    msg = str(err.value)
    assert "\n" not in msg and "'lmse'" in msg
    for name in REGISTRY:
        assert name in msg
    assert "ckpt:PATH" in msg


def test_unknown_prefix_and_checkpoint_hook(sim_data, tmp_path):
    with pytest.raises(ConfigError, match="known:"):
        build_estimator("foo:bar", _ctx(sim_data))
    with pytest.raises(ConfigError, match="checkpoint .*missing.*file not found"):
        build_estimator(f"ckpt:{tmp_path}/missing", _ctx(sim_data))
    with pytest.raises(ConfigError, match="takes no options"):
        build_estimator(f"ckpt:{tmp_path}/missing", _ctx(sim_data), mode="x")


def test_unknown_option_names_allowed_ones(sim_data):
    with pytest.raises(ConfigError, match="unknown option 'bogus'; allowed: max_delay, guard"):
        build_estimator("dft", _ctx(sim_data), bogus=1)
    with pytest.raises(ConfigError, match="allowed: mode"):
        build_estimator("lmmse", _ctx(sim_data), order="t-f")


def test_every_entry_has_a_one_line_description():
    desc = available_estimators()
    assert list(desc) == list(REGISTRY)
    assert all(d and "\n" not in d for d in desc.values())


def test_bounds_are_named_genie_and_only_they(sim_data):
    ctx = _ctx(sim_data)
    for name in REGISTRY:
        est = build_estimator(name, ctx)
        assert est.name == name
        assert est.is_bound == name.startswith("genie-"), name
        if not est.is_bound:
            assert "genie" not in name


def test_parse_names():
    assert parse_estimator_names("lmmse, ls-linear,lmmse") == ["lmmse", "ls-linear"]
    assert parse_estimator_names("all") == list(REGISTRY)
    assert parse_estimator_names("ckpt:x.safetensors") == ["ckpt:x.safetensors"]
    with pytest.raises(ConfigError, match="unknown estimator 'nope'"):
        parse_estimator_names("lmmse,nope")
    with pytest.raises(ConfigError, match="at least one"):
        parse_estimator_names(" , ")
