"""Shipped experiments and sweeps, and a sweep end to end (train, evaluate, reuse)."""

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path", sorted((REPO / "configs" / "experiments").rglob("*.yaml")))
def test_shipped_experiments_parse_and_name_an_existing_scenario(path):
    from chanest.training.experiment import load_experiment

    exp = load_experiment(path)
    assert (REPO / exp.data.simulate).is_file()


def test_shipped_sweeps_plan_a_per_snr_family_and_an_agnostic_run(monkeypatch):
    from chanest.training.sweep import estimator_names, load_sweep, plan_runs

    monkeypatch.chdir(REPO)
    for path in sorted((REPO / "configs" / "sweeps").glob("*.yaml")):
        spec = load_sweep(path)
        runs = plan_runs(spec)
        assert [r for r, _ in runs][-1] == "agnostic"
        assert any(n.startswith("ckpt:") and "snr*" in n for n in estimator_names(spec))


def test_sweep_trains_evaluates_and_a_second_call_reuses_checkpoints_and_table(
        tmp_path, scenario_file, runner):
    """Per-SNR family + agnostic model, evaluated with baselines on one test set."""
    from chanest.cli import main

    sweep = {"name": "mini", "out_dir": str(tmp_path / "runs"), "scenario": str(scenario_file),
             "per_snr": [10, 20], "agnostic": True, "test_samples": 64,
             "baselines": ["ls-linear", "genie-lmmse"],
             "experiment": {"model": {"name": "cenet", "kwargs": {"channels": 8, "blocks": 1}},
                            "data": {"samples_per_epoch": 64, "val_samples": 32},
                            "train": {"epochs": 1, "batch_size": 32}}}
    cfg = tmp_path / "sweep.yaml"
    cfg.write_text(yaml.safe_dump(sweep))
    res = runner.invoke(main, ["sweep", "--config", str(cfg), "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "snr10" in res.output and "agnostic" in res.output
    res = runner.invoke(main, ["sweep", "--config", str(cfg), "-q", "--device", "cpu"])
    assert res.exit_code == 0, res.output
    root = tmp_path / "runs" / "mini"
    rows = (root / "results" / "results.csv").read_text()
    for name in ("ls-linear", "genie-lmmse", f"ckpt:{root}/snr*/best",
                 f"ckpt:{root}/agnostic/best"):
        assert name in rows
    # a second call trains nothing new (checkpoints untouched) and reproduces the table
    stamps = {p: p.stat().st_mtime_ns for p in root.rglob("*.safetensors")}
    again = runner.invoke(main, ["sweep", "--config", str(cfg), "-q", "--device", "cpu"])
    assert again.exit_code == 0
    assert stamps and {p: p.stat().st_mtime_ns for p in root.rglob("*.safetensors")} == stamps
    assert (root / "results" / "results.csv").read_text().splitlines()[1:] == \
        rows.splitlines()[1:]
