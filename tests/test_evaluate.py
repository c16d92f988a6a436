"""evaluate: same grids for all estimators, tidy CSV + provenance JSON, CLI command."""

import csv
import json

import numpy as np
import pytest

from chanest.commands.evaluate import evaluate_command
from chanest.data.dataset import DatasetWriter, open_dataset
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.evaluation.evaluate import PAIRED_COLUMNS, RESULT_COLUMNS, evaluate, write_results
from chanest.schema import ConfigError

SCENARIO = {
    "chunk_size": 32,
    "channel": {"models": [{"model": "pdp", "profile": "VehA", "speed_mps": [0, 30]},
                           {"model": "tdl", "profile": "C", "delay_spread_ns": [50, 300],
                            "speed_mps": 10}]},
    "noise": {"snr_db": [0.0, 10.0, 20.0]},
}
NAMES = ["ls-linear", "lmmse", "genie-lmmse"]


def _write(path, num, **overrides):
    sim = Simulator(parse_config({**SCENARIO, **overrides}))
    writer = DatasetWriter(path, sim, num)
    writer.run()
    return writer.path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval")
    return {"test": _write(root / "test.h5", 192),
            "train": _write(root / "train.h5", 256, seed=7),
            "other": _write(root / "other.h5", 64, pilots={"pattern": "channelnet-16"})}


@pytest.fixture(scope="module")
def result(files):
    with open_dataset(files["test"]) as data:
        return evaluate(data, NAMES, "cpu", batch_size=50, progress=False)


def test_rows_cover_every_estimator_snr_and_model(result):
    keys = {(r["estimator"], r["snr_db"], r["model"]) for r in result.rows}
    assert keys == {(n, s, m) for n in NAMES for s in (0.0, 10.0, 20.0)
                    for m in ("all", "pdp-VehA", "tdl-C")}
    by = {(r["estimator"], r["snr_db"], r["model"]): r for r in result.rows}
    assert sum(by[("lmmse", s, "all")]["n"] for s in (0.0, 10.0, 20.0)) == 192
    for s in (0.0, 10.0, 20.0):
        assert by[("lmmse", s, "all")]["n"] == by[("lmmse", s, "pdp-VehA")]["n"] + \
            by[("lmmse", s, "tdl-C")]["n"]
        genie, lmmse = by[("genie-lmmse", s, "all")], by[("lmmse", s, "all")]
        assert genie["is_bound"] and not lmmse["is_bound"]
        assert (genie["role"], lmmse["role"]) == ("bound", "practical")
        assert genie["nmse_db"] <= lmmse["nmse_db"] + 0.05
        assert genie["nmse_db_lo"] < genie["nmse_db"] < genie["nmse_db_hi"]


def test_summaries_recompute_from_the_per_sample_errors(result):
    """Every row is a function of the kept per-sample errors of the same grids."""
    for row in result.rows:
        d = result.per_sample[row["estimator"]]
        sel = result.snr_group == row["snr_db"]
        if row["model"] != "all":
            sel &= result.model_group == row["model"]
        assert sel.sum() == row["n"]
        assert np.isclose(row["mse"], d["mse"][sel].mean())
        ratio = d["err"][sel].sum() / d["power"][sel].sum()
        assert np.isclose(row["nmse_db"], 10 * np.log10(ratio))
    ls, genie = result.per_sample["ls-linear"], result.per_sample["genie-lmmse"]
    assert len(ls["err"]) == 192 and not np.allclose(ls["err"], genie["err"])
    np.testing.assert_array_equal(ls["power"], genie["power"])  # same grids, same order


def test_paired_rows_use_the_bound_as_reference(result):
    assert {r["reference"] for r in result.paired} == {"genie-lmmse"}
    assert {r["estimator"] for r in result.paired} == {"ls-linear", "lmmse"}
    for r in result.paired:
        assert r["delta_nmse_db"] > -0.05  # nothing beats the bound on average
        assert r["delta_nmse_db_lo"] <= r["delta_nmse_db"] <= r["delta_nmse_db_hi"]


def test_written_files(result, files, tmp_path):
    paths = write_results(result, tmp_path / "out")
    with paths["csv"].open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == RESULT_COLUMNS and len(rows) == len(result.rows)
    assert {r["is_bound"] for r in rows} == {"True", "False"}
    assert {r["role"] for r in rows} == {"bound", "practical"}
    assert float(rows[0]["nmse_db"]) == pytest.approx(result.rows[0]["nmse_db"], abs=1e-4)
    with paths["paired"].open() as fh:
        assert list(next(csv.DictReader(fh))) == PAIRED_COLUMNS
    meta = json.loads(paths["json"].read_text())
    with open_dataset(files["test"]) as data:
        assert meta["dataset"]["fingerprint"] == data.fingerprint
        assert meta["scenario"] == data.scenario.to_dict()
    assert meta["dataset"]["paths"] == [str(files["test"])]
    assert [e["name"] for e in meta["estimators"]] == NAMES
    assert "nominal" in meta["estimators"][1]["statistics"]
    assert set(meta["versions"]) >= {"chanest", "torch", "sionna", "numpy"}
    assert meta["files"] == {"csv": "results.csv", "paired": "paired.csv"}
    assert not list((tmp_path / "out").glob("*.tmp"))


def test_fit_data_and_its_compatibility_check(files):
    with open_dataset(files["test"]) as data, open_dataset(files["train"]) as train:
        res = evaluate(data, ["lmmse"], "cpu", batch_size=64, progress=False, fit_dataset=train)
        assert "fitted on 256" in res.provenance["estimators"][0]["statistics"]
        assert res.provenance["fit_dataset"]["fingerprint"] == train.fingerprint
    with open_dataset(files["test"]) as data, open_dataset(files["other"]) as other:
        with pytest.raises(ConfigError, match=r"^fit_dataset: the training data has another "
                                              r"pilot layout \(16 pilots"):
            evaluate(data, ["lmmse"], "cpu", progress=False, fit_dataset=other)


def test_bad_arguments(files):
    with open_dataset(files["test"]) as data:
        with pytest.raises(ConfigError, match="batch_size: must be >= 1"):
            evaluate(data, ["lmmse"], "cpu", batch_size=0)
        with pytest.raises(ConfigError, match="unknown estimator 'lmse'; known: ls-nearest"):
            evaluate(data, ["lmse"], "cpu", progress=False)


def test_cli_writes_the_tables(files, tmp_path, runner):
    out = tmp_path / "res"
    res = runner.invoke(evaluate_command, ["--data", str(files["test"]), "--estimators",
                                           "ls-nearest,genie-lmmse", "--out", str(out),
                                           "--device", "cpu", "--batch-size", "64", "-q"])
    assert res.exit_code == 0, res.output
    assert "genie-lmmse (bound)" in res.output and "SNR [dB]" in res.output
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert {r["estimator"] for r in rows} == {"ls-nearest", "genie-lmmse"}
    assert json.loads((out / "results.json").read_text())["evaluation"]["batch_size"] == 64


def test_cli_lists_estimators_and_rejects_bad_input(files, tmp_path, runner):
    res = runner.invoke(evaluate_command, ["--list-estimators"])
    assert res.exit_code == 0 and "genie-lmmse" in res.output and "BOUND" in res.output
    res = runner.invoke(evaluate_command, ["--estimators", "lmmse"])
    assert isinstance(res.exception, ConfigError) and "--data" in str(res.exception)
    res = runner.invoke(evaluate_command, ["--data", str(files["test"]), "--estimators", "nope",
                                           "--out", str(tmp_path / "x")])
    assert isinstance(res.exception, ConfigError) and "known:" in str(res.exception)
    assert not (tmp_path / "x").exists()


def test_memory_budget_splits_batches_without_changing_results():
    """estimate_bounded: a budget of one grid per call gives the same estimate as one call,
    and Sionna's estimator at 624x14 is split into sub-batches under a 1 GB budget."""
    import torch

    from chanest.data.context import context_from_simulator
    from chanest.data.scenario import parse_config
    from chanest.data.simulate import Simulator
    from chanest.estimators import observe
    from chanest.estimators.base import estimate_bounded
    from chanest.estimators.registry import build_estimator

    sim = Simulator(parse_config({"chunk_size": 16, "noise": {"snr_db": [0, 20]}}))
    ctx, batch = context_from_simulator(sim), sim.generate(16)
    est = build_estimator("lmmse-adaptive", ctx)
    whole = est.estimate(observe(batch))
    split = estimate_bounded(est, observe(batch), est.bytes_per_grid())  # one grid per call
    torch.testing.assert_close(split.h_hat, whole.h_hat)
    torch.testing.assert_close(split.err_var, whole.err_var)
    nr = Simulator(parse_config({"chunk_size": 4, "grid": {"preset": "nr-624x14"},
                                 "pilots": {"pattern": "comb", "spacing": 4}}))
    sionna = build_estimator("lmmse-sionna", context_from_simulator(nr))
    assert 0.1e9 < sionna.bytes_per_grid() < 0.5e9  # measured 0.21 GB per grid
    assert int(2**30 // sionna.bytes_per_grid()) < 16
