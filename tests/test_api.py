"""The Python API at the package top level: every exported name resolves and is documented,
a dataset is a torch ``Dataset`` a ``DataLoader`` batches, and the worked example runs."""

import csv
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import chanest
from chanest.data.batch import TENSOR_FIELDS
from chanest.data.writer import ShardSpec

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", [n for n in chanest.__all__ if n != "__version__"])
def test_every_public_name_resolves_and_is_documented_in_the_package_docstring(name):
    assert getattr(chanest, name).__name__ == name
    api_doc = chanest.__doc__.split("Python API")[1]
    assert re.search(rf"^  (\w+, )*{name}\b", api_doc, re.MULTILINE), name


def test_the_api_names_are_the_library_objects():
    from chanest.data.dataset import open_dataset
    from chanest.estimators.registry import build_estimator
    from chanest.evaluation.evaluate import evaluate
    from chanest.link.adapter import SionnaEstimator

    assert chanest.open_dataset is open_dataset and chanest.evaluate is evaluate
    assert chanest.build_estimator is build_estimator
    assert chanest.SionnaEstimator is SionnaEstimator
    assert set(chanest.__all__) <= set(dir(chanest))


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'simulate_everything'"):
        chanest.simulate_everything  # noqa: B018


@pytest.fixture
def two_shards(tmp_path, scenario):
    sim = chanest.Simulator(scenario(chunk_size=16))
    for i in range(2):
        chanest.DatasetWriter(tmp_path / f"part-{i}.h5", sim, 40, ShardSpec(i, 2)).run()
    with chanest.open_dataset(str(tmp_path / "part-*.h5")) as ds:
        yield ds


def test_a_dataset_item_is_one_grids_tensors_across_shard_files(two_shards):
    ds = two_shards
    whole = ds.read()
    assert isinstance(ds, torch.utils.data.Dataset) and len(ds) == 40
    for i in (0, 31, 32, 39, -1):
        item = ds[i]
        assert list(item) == list(TENSOR_FIELDS)
        assert item["h"].shape == whole.h.shape[1:] and item["no"].shape == ()
        for name in TENSOR_FIELDS:
            assert torch.equal(item[name], getattr(whole, name)[i]), name
    for i in (40, -41):
        with pytest.raises(IndexError, match="of a dataset of 40 grids"):
            ds[i]


def test_a_dataloader_batches_the_dataset_in_order(two_shards):
    ds = two_shards
    batches = list(torch.utils.data.DataLoader(ds, batch_size=16))
    assert [len(b["h"]) for b in batches] == [16, 16, 8]
    whole = ds.read()
    for name in TENSOR_FIELDS:
        assert torch.equal(torch.cat([b[name] for b in batches]), getattr(whole, name)), name


def test_a_pickled_dataset_reopens_its_files_for_worker_processes(two_shards):
    copy = pickle.loads(pickle.dumps(two_shards))
    with copy:
        assert copy.paths == two_shards.paths
        assert torch.equal(copy.read().h, two_shards.read().h)


def test_the_quickstart_api_example_simulates_evaluates_and_plots(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    res = subprocess.run([sys.executable, str(REPO / "examples" / "quickstart_api.py"),
                          str(tmp_path)], cwd=tmp_path, capture_output=True, text=True,
                         env=env, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert {r["estimator"] for r in rows} == {"ls-linear", "lmmse-adaptive"}
    for name in ("nmse.pdf", "nmse.png", "nmse.csv", "test.h5"):
        assert (tmp_path / name).stat().st_size > 0
    assert "NMSE [dB], model" in res.stdout and "lmmse-adaptive: NMSE" in res.stdout
