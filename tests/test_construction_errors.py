"""Building a model or an estimator from bad arguments fails with one ConfigError line
naming the model (or estimator) and the argument; ConfigError is built one way."""

import numpy as np
import pytest

from chanest.models import build_model, model_spec
from chanest.schema import ConfigError, argument_named
from tests.test_cli import run
from tests.test_cli_mistakes import tiny_experiment


def test_a_config_error_about_an_argument_starts_with_it_and_remembers_it():
    err = ConfigError("file not found: x.h5", arg="paths")
    assert str(err) == "paths: file not found: x.h5" and err.arg == "paths"
    plain = ConfigError("pilots.offset: must be < 72")
    assert str(plain) == "pilots.offset: must be < 72" and plain.arg is None
    assert not hasattr(ConfigError, "about")


def test_an_argument_passed_on_under_another_name_is_reported_under_that_name():
    with pytest.raises(ConfigError) as err:
        with argument_named("paths", "fit_data"):
            raise ConfigError("file not found: x.h5", arg="paths")
    assert str(err.value) == "fit_data: file not found: x.h5" and err.value.arg == "fit_data"


BAD_MODEL_ARGUMENTS = [
    ("cenet", {"base": "lmse"}, "base must be one of linear, lmmse-adaptive, got 'lmse'"),
    ("cenet", {"channels": -1}, "channels must be an integer >= 1, got -1"),
    ("cenet", {"channels": "32"}, "channels must be an integer >= 1, got '32'"),
    ("cenet", {"blocks": -2}, "blocks must be an integer >= 0"),
    ("cenet", {"dilations": []}, "dilations must be a non-empty list of integers >= 1"),
    ("cenet", {"err_head": "yes"}, "err_head must be true or false"),
    ("cenet", {"base_options": 3}, "base_options must be a mapping of options"),
    ("cenet", {"chanels": 8}, "unknown argument 'chanels'; allowed: channels, blocks"),
    ("channelnet", {"complex_mode": "both"}, "complex_mode must be 'separate' or 'stack'"),
    ("channelnet", {"dncnn_depth": 1}, "dncnn_depth must be an integer >= 2, got 1"),
    ("reesnet", {"pilot_shape": [2], "grid_shape": [14, 72]},
     "pilot_shape must be 2 integers >= 1, got [2]"),
    ("reesnet", {"pilot_shape": [4, 12], "grid_shape": [2, 72]},
     "cannot upsample a pilot_shape [4, 12] image to grid_shape [2, 72]"),
    ("reesnet", {"pilot_shape": [2, 12], "grid_shape": [14, 72], "filters": 0},
     "filters must be an integer >= 1, got 0"),
    ("reesnet", {"grid_shape": [14, 72]}, "missing 1 required positional argument: "
                                          "'pilot_shape'"),
    ("inreesnet", {"pilot_shape": [2, 12], "grid_shape": [14, 72], "pilot_index": [0, 1]},
     "pilot_index must be 24 integers >= 0, got [0, 1]"),
    ("inreesnet", {"pilot_shape": [1, 2], "grid_shape": [14, 72], "pilot_index": [0, 1008]},
     "pilot_index must lie inside grid_shape [14, 72]"),
    ("inreesnet", {"pilot_shape": [1, 2], "grid_shape": [14, 72], "pilot_index": [0, 6],
                   "base": "dft"}, "base must be one of linear, lmmse-adaptive, got 'dft'"),
    ("attention", {"dim": 30, "heads": 4}, "heads must divide dim, got dim 30 and heads 4"),
    ("attention", {"blocks": -1}, "blocks must be an integer >= 0, got -1"),
    ("mtre", {"grid_shape": [14, 72], "patch": [2]}, "patch must be 2 integers >= 1"),
    ("mtre", {"grid_shape": [14, 72], "base_options": "x"},
     "base_options must be a mapping of options"),
    ("ddae", {"widths": []}, "widths must be a non-empty list of integers >= 1"),
    ("score", {"steps": 0}, "steps must be an integer >= 1, got 0"),
    ("score", {"step_size": 1.5}, "step_size must be a number in (0, 1], got 1.5"),
    ("score", {"final_ratio": 0}, "final_ratio must be a number in (0, 1], got 0"),
]


@pytest.mark.parametrize("name,kwargs,text", BAD_MODEL_ARGUMENTS,
                         ids=[f"{n}-{next(iter(k))}" for n, k, _ in BAD_MODEL_ARGUMENTS])
def test_a_bad_model_argument_is_one_line_naming_the_model_and_the_argument(name, kwargs, text):
    with pytest.raises(ConfigError) as err:
        build_model(name, **kwargs)
    assert str(err.value).startswith(f"model.kwargs: {name}: ")
    assert text in str(err.value) and "\n" not in str(err.value)


def test_a_model_that_does_not_fit_the_pilot_layout_is_one_line():
    mask = np.zeros((14, 72), bool)
    mask[2, ::6] = mask[9, ::12] = True
    with pytest.raises(ConfigError, match=r"^model.kwargs: reesnet: pilot-image models need "
                                          r"the same number of pilots on every pilot symbol"):
        model_spec("reesnet", {}, mask)


@pytest.fixture(scope="module")
def ctx():
    from chanest.data.context import context_from_simulator
    from chanest.data.scenario import parse_config
    from chanest.data.simulate import Simulator

    return context_from_simulator(Simulator(parse_config({"seed": 1, "chunk_size": 16})))


BAD_ESTIMATOR_OPTIONS = [
    ("dft", {"guard": "x"}, "option guard must be an integer, got 'x'"),
    ("dft", {"max_delay": "a"}, "option max_delay must be a number or null, got 'a'"),
    ("lmmse", {"mode": 3}, "option mode must be a string, got 3"),
    ("lmmse-robust", {"cache_mb": "x"}, "option cache_mb must be a number, got 'x'"),
    ("lmmse-adaptive", {"num_delays": 2.5}, "option num_delays must be an integer, got 2.5"),
    ("lmmse-adaptive", {"delay_range": 3},
     "option delay_range must be [number, number] or null, got 3"),
    ("lmmse-adaptive", {"shapes": [1]},
     "option shapes must be a string or a list of strings, got [1]"),
    ("genie-lmmse", {"group_mb": "x"}, "option group_mb must be a number, got 'x'"),
]


@pytest.mark.parametrize("name,opts,text", BAD_ESTIMATOR_OPTIONS,
                         ids=[f"{n}-{next(iter(o))}" for n, o, _ in BAD_ESTIMATOR_OPTIONS])
def test_a_bad_estimator_option_is_one_line_naming_the_estimator_and_the_option(ctx, name, opts,
                                                                                text):
    from chanest.estimators.registry import build_estimator

    with pytest.raises(ConfigError) as err:
        build_estimator(name, ctx, **opts)
    assert str(err.value) == f"estimator {name}: {text}"


def test_good_option_values_of_every_accepted_form_build(ctx):
    from chanest.estimators.registry import build_estimator

    est = build_estimator("lmmse-adaptive", ctx, num_delays=4, num_dopplers=3, top_k=4,
                          delay_range=[1e-8, 3e-7], doppler_range=(0, 100), cache_mb=64,
                          shapes="exponential")
    assert est.name == "lmmse-adaptive"


def test_an_estimator_that_fails_to_build_is_one_line_naming_it(ctx, monkeypatch):
    from chanest.estimators import catalog
    from chanest.estimators.registry import build_estimator

    class Fails:
        def __init__(self, ctx, device, window: int = 3):
            raise ValueError(f"window {window} does not fit the grid")

    monkeypatch.setitem(catalog.REGISTRY, "failing", catalog.Entry(Fails, "fails"))
    with pytest.raises(ConfigError) as err:
        build_estimator("failing", ctx, window=5)
    assert str(err.value) == "estimator failing: window 5 does not fit the grid"


@pytest.mark.parametrize("kwargs,text", [
    ({"channels": 4, "blocks": 1, "base": "lmse"}, "base must be one of"),
    ({"channels": -4, "blocks": 1}, "channels must be an integer >= 1, got -4"),
])
def test_train_with_a_bad_model_argument_fails_in_one_line(runner, tmp_path, kwargs, text):
    import yaml

    cfg = tiny_experiment(tmp_path, "bad", tmp_path / "runs")
    exp = yaml.safe_load(cfg.read_text())
    exp["model"]["kwargs"] = kwargs
    cfg.write_text(yaml.safe_dump(exp))
    res = run(runner, "train", "--config", cfg, "-q", "--device", "cpu")
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert res.stderr.strip().splitlines() == [res.stderr.strip()]
    assert res.stderr.startswith("Error: model.kwargs: cenet: ") and text in res.stderr


def test_a_config_error_crosses_a_process_boundary_unchanged():
    import pickle

    err = pickle.loads(pickle.dumps(ConfigError("must be >= 1, got 0", arg="batch_size")))
    assert str(err) == "batch_size: must be >= 1, got 0" and err.arg == "batch_size"
    plain = pickle.loads(pickle.dumps(ConfigError("pilots.offset: too large")))
    assert str(plain) == "pilots.offset: too large" and plain.arg is None
