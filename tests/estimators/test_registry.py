"""Registry: explicit names, clear errors, honest labels and roles."""

import pytest

from chanest.estimators import ROLES, GridContext, parse_name, role_of
from chanest.estimators.registry import (
    PREFIX_FORMS,
    PREFIX_HOOKS,
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


def test_instances_take_the_role_of_their_catalog_entry(sim_data):
    ctx = _ctx(sim_data)
    for name, entry in REGISTRY.items():
        assert entry.role in ROLES, name
        est = build_estimator(name, ctx)
        assert (est.name, est.role) == (name, entry.role)
        assert est.is_bound == (entry.role == "bound") == (role_of(name) == "bound")


def test_the_only_bound_is_the_genie_and_the_paths_lmmse_is_a_reference():
    assert {n: e.role for n, e in REGISTRY.items() if e.role != "practical"} == {
        "genie-lmmse": "bound", "genie-paths": "reference"}


def test_role_of_any_name():
    assert role_of("lmmse") == "practical" and role_of("genie-lmmse") == "bound"
    assert role_of("ckpt:runs/x/best") == role_of("pretrained:cenet-nr-dmrs") == "practical"
    assert role_of("lmmse|genie-lmmse") == "bound"  # one per user: the strongest part
    with pytest.raises(ConfigError, match="unknown estimator 'nope'"):
        role_of("nope")
    with pytest.raises(ConfigError, match="unknown estimator 'foo:bar'"):
        role_of("foo:bar")


def test_parse_name_splits_prefix_names_only():
    assert parse_name("ckpt:runs/x/best") == ("ckpt", "runs/x/best")
    assert parse_name("pretrained:cenet-nr-dmrs").kind == "pretrained"
    assert parse_name("lmmse") == ("", "lmmse")
    assert set(PREFIX_HOOKS) == set(PREFIX_FORMS)
    with pytest.raises(ConfigError, match="^names: unknown estimator 'foo:bar'"):
        parse_name("foo:bar")


def test_needs_statistics_is_what_building_without_statistics_says(sim_data):
    ctx = _ctx(sim_data)
    bare = GridContext(grid=ctx.grid, mask=ctx.mask, pilots=ctx.pilots)
    for name, entry in REGISTRY.items():
        if entry.needs_statistics:
            with pytest.raises(ConfigError, match=f"^estimator {name}: needs the scenario's"):
                build_estimator(name, bare)
        else:
            assert build_estimator(name, bare).name == name


def test_parse_names():
    assert parse_estimator_names("lmmse, ls-linear,lmmse") == ["lmmse", "ls-linear"]
    assert parse_estimator_names("all") == list(REGISTRY)
    assert parse_estimator_names("ckpt:x.safetensors") == ["ckpt:x.safetensors"]
    with pytest.raises(ConfigError, match="unknown estimator 'nope'"):
        parse_estimator_names("lmmse,nope")
    with pytest.raises(ConfigError, match="at least one"):
        parse_estimator_names(" , ")
