"""Multi-user data through the CLI: simulate, train a network per user, evaluate with one
estimator per user, evaluate one user alone."""

from __future__ import annotations

import csv
import json

import numpy as np
import yaml

from chanest.cli import main
from chanest.data.scenario import load_config
from chanest.grid.users import scenario_users
from chanest.models.checkpoint import load_checkpoint

SCENARIO = {
    "seed": 11, "chunk_size": 32,
    "grid": {"num_subcarriers": 24, "num_symbols": 14, "subcarrier_spacing": 15000.0},
    "pilots": {"pattern": "kronecker", "symbols": [2, 11], "spacing": 4, "values": "qpsk"},
    "users": {"count": 2, "shift": {"symbols": 0, "subcarriers": 2}},
    "channel": {"num_rx_antennas": 2,
                "models": [{"model": "tdl", "profile": "A", "delay_spread_ns": 100,
                            "speed_mps": [0, 10]}]},
    "noise": {"snr_db": [0, 20]},
}


def _train(runner, tmp_path, scenario, user):
    exp = {"name": f"user{user}", "seed": 0, "out_dir": str(tmp_path / "runs"),
           "model": {"name": "cenet", "kwargs": {"channels": 4, "blocks": 1}},
           "data": {"simulate": str(scenario), "samples_per_epoch": 64, "val_samples": 32,
                    "user": user},
           "train": {"epochs": 1, "batch_size": 32}}
    path = tmp_path / f"exp{user}.yaml"
    path.write_text(yaml.safe_dump(exp))
    r = runner.invoke(main, ["train", "--config", str(path), "-q"])
    assert r.exit_code == 0, r.output
    return tmp_path / "runs" / f"user{user}"


def test_a_network_per_user_trains_on_its_layout_and_evaluates_with_one_name_per_user(
        tmp_path, runner):
    scenario = tmp_path / "mu.yaml"
    scenario.write_text(yaml.safe_dump(SCENARIO))
    data = tmp_path / "mu.h5"
    r = runner.invoke(main, ["simulate", "--config", str(scenario), "-n", "64", "-o", str(data),
                             "-q"])
    assert r.exit_code == 0 and "2 users x 2 antennas" in r.output, r.output
    runs = [_train(runner, tmp_path, scenario, u) for u in (0, 1)]
    layout = scenario_users(load_config(scenario))
    for u, run in enumerate(runs):  # each network learnt its user's pilot layout
        _, meta = load_checkpoint(run / "best")
        assert np.array_equal(np.asarray(meta["mask"], bool), layout.users[u].mask)
    both = f"ckpt:{runs[0]}|ckpt:{runs[1]}"
    out = tmp_path / "res"
    r = runner.invoke(main, ["evaluate", "--data", str(data), "--estimators",
                             f"ls-linear,{both}", "-o", str(out), "-q"])
    assert r.exit_code == 0, r.output
    with (out / "results.csv").open() as fh:
        assert {row["estimator"] for row in csv.DictReader(fh)} == {"ls-linear", both}
    wrong = runner.invoke(main, ["evaluate", "--data", str(data), "--estimators",
                                 f"ckpt:{runs[0]}", "-o", str(tmp_path / "x"), "-q"])
    assert wrong.exit_code == 2 and "another pilot layout" in wrong.output
    assert "Traceback" not in wrong.output and not (tmp_path / "x" / "results.csv").exists()
    alone = runner.invoke(main, ["evaluate", "--data", str(data), "--estimators",
                                 f"ckpt:{runs[1]}", "--user", "1", "-o", str(tmp_path / "u1"),
                                 "-q"])
    assert alone.exit_code == 0, alone.output
    prov = json.loads((tmp_path / "u1" / "results.json").read_text())
    assert prov["dataset"]["user"] == 1
    bad = runner.invoke(main, ["evaluate", "--data", str(data), "--user", "2", "-o",
                               str(tmp_path / "u2"), "-q"])
    assert bad.exit_code == 2 and bad.output.startswith("Error: --user: must be one of 0–1")
