"""The evaluation core: estimators run on exactly the batches given, every grid's errors
recorded once in dataset order, a receiver step timed with its estimator, bad grids and
settings refused."""

from dataclasses import fields

import numpy as np
import pytest
import torch

from chanest.data.dataset import DatasetWriter, open_dataset
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.estimators.base import observe
from chanest.estimators.registry import build_estimator
from chanest.evaluation.core import ERROR_KEYS, EvaluationCore, check_finite
from chanest.metrics import SampleErrors, sample_errors
from chanest.schema import ConfigError

NAMES = ["ls-linear", "lmmse"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    scn = parse_config({"seed": 4, "chunk_size": 16, "channel": {"models": [
        {"model": "pdp", "profile": "EPA", "speed_mps": 3},
        {"model": "tdl", "profile": "C", "delay_spread_ns": 100, "speed_mps": 10}]},
        "noise": {"snr_db": [0, 20]}})
    path = tmp_path_factory.mktemp("core") / "d.h5"
    DatasetWriter(path, Simulator(scn), 40).run()
    with open_dataset(path) as ds:
        yield ds


def test_only_the_batches_given_are_estimated_and_recorded_in_order(dataset):
    core = EvaluationCore(dataset, NAMES, batch_size=16)
    calls = []
    with torch.no_grad():
        for i, (index, batch) in enumerate(core.batches(progress=False)):
            if i == 1:
                continue  # grids 16..31 are skipped
            core.estimate(index, batch, then=lambda name, est: calls.append((name, len(est.h_hat))))
    grids = core.grids()
    expected = np.r_[0:16, 32:40]
    np.testing.assert_array_equal(grids.index, expected)
    np.testing.assert_array_equal(grids.snr_db, dataset.column("snr_db")[expected])
    labels = np.array(dataset.labels, dtype=object)[dataset.column("model")[expected]]
    assert list(grids.model) == list(labels)
    assert calls == [("ls-linear", 16), ("lmmse", 16), ("ls-linear", 8), ("lmmse", 8)]
    errors = core.errors.arrays()
    assert set(errors) == set(NAMES) and all(set(d) == set(ERROR_KEYS) for d in errors.values())
    batch = dataset.read(32, 40)
    lmmse = build_estimator("lmmse", dataset.context())
    direct = sample_errors(batch.h, lmmse.estimate(observe(batch)).h_hat)
    np.testing.assert_allclose(errors["lmmse"]["err"][16:], direct.err, rtol=1e-6)
    assert all(core.seconds[n] > 0 for n in NAMES)


def test_run_estimates_every_grid_once(dataset):
    core = EvaluationCore(dataset, NAMES, batch_size=7)
    core.run(progress=False)
    np.testing.assert_array_equal(core.grids().index, np.arange(40))
    assert all(len(core.errors.arrays()[n]["nmse"]) == 40 for n in NAMES)


def test_the_error_keys_are_the_fields_of_sample_errors():
    assert ERROR_KEYS == tuple(f.name for f in fields(SampleErrors)) == (
        "mse", "err", "power", "nmse", "err_var")


def test_a_grid_with_a_non_finite_observation_is_named_by_its_dataset_index(dataset):
    batch = dataset.read(0, 5)
    check_finite(batch, 10)
    batch.y[3, 0, 0] = complex("nan")
    with pytest.raises(ConfigError, match="grid 13 "):
        check_finite(batch, 10)
    batch = dataset.read(0, 5)
    batch.no[1] = 0
    with pytest.raises(ConfigError, match="grid 11 "):
        check_finite(batch, 10)


@pytest.mark.parametrize("kwargs,field", [({"batch_size": 0}, "batch_size"),
                                          ({"memory_gb": 0}, "memory_gb"),
                                          ({"names": []}, "names")])
def test_settings_an_evaluation_cannot_run_with_are_refused(dataset, kwargs, field):
    args = {"names": NAMES, **kwargs}
    with pytest.raises(ConfigError, match=f"^{field}: "):
        EvaluationCore(dataset, **args)
