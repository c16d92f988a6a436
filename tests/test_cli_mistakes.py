"""Mistakes from a new-user trial: each fails in one line (or does what was meant),
and nothing is clobbered."""

import json

import pytest
import yaml

from tests.test_cli import SMALL, assert_clean_failure, run, write_cfg


@pytest.fixture
def dataset(runner, tmp_path):
    path = tmp_path / "d.h5"
    assert run(runner, "simulate", "-n", 20, "--out", path, "-q",
               "--config", write_cfg(tmp_path, SMALL)).exit_code == 0
    return path


def test_simulate_out_without_a_dataset_suffix_is_refused(runner, tmp_path):
    out = tmp_path / "data" / "x"
    res = run(runner, "simulate", "-n", 8, "--out", out, "-q")
    assert_clean_failure(res, "--out: a dataset file name ends in .h5 or .hdf5", out)
    assert not out.parent.exists()


def test_inspect_out_of_range_sample_fails_before_printing_a_summary(runner, dataset):
    res = run(runner, "inspect", dataset, "--sample", 99999)
    assert res.exit_code == 2
    assert "files:" not in res.stdout
    assert res.stderr.strip() == "Error: --sample: must be < 20 (grids in the dataset), got 99999"


def test_evaluate_refuses_to_overwrite_results_without_overwrite(runner, dataset, tmp_path):
    out = tmp_path / "res"
    args = ["evaluate", "--data", dataset, "--out", out, "--estimators", "ls-linear", "-q"]
    assert run(runner, *args).exit_code == 0
    before = (out / "results.json").read_text()
    res = run(runner, *args)
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1
    assert "already holds results" in res.stderr and "--overwrite" in res.stderr
    assert (out / "results.json").read_text() == before
    assert run(runner, *args, "--overwrite").exit_code == 0
    assert json.loads((out / "results.json").read_text()) != json.loads(before)  # new run time


def test_plot_out_with_a_suffix_writes_exactly_that_file(runner, dataset, tmp_path):
    out = tmp_path / "res"
    run(runner, "evaluate", "--data", dataset, "--out", out, "--estimators",
        "ls-linear,genie-lmmse", "-q")
    for name in ("fig.svg", "fig.pdf", "fig.png"):
        res = run(runner, "plot", out / "results.csv", "--out", tmp_path / name)
        assert res.exit_code == 0, res.output
        assert (tmp_path / name).stat().st_size > 0
    assert not list(tmp_path.glob("fig.svg.*"))
    assert b"<svg" in (tmp_path / "fig.svg").read_bytes()[:400]
    pdf = (tmp_path / "fig.pdf").read_bytes()
    assert b"/FontType 3" not in pdf and b"/Subtype /Type3" not in pdf  # TrueType fonts


def test_plot_out_a_folder_writes_inside_it(runner, dataset, tmp_path):
    out = tmp_path / "res"
    run(runner, "evaluate", "--data", dataset, "--out", out, "--estimators", "ls-linear", "-q")
    res = run(runner, "plot", out / "results.csv", "--out", out)
    assert res.exit_code == 0
    assert (out / "nmse.pdf").exists() and (out / "nmse.png").exists()


def test_plot_labels_the_genie_a_bound_only_for_metrics_it_bounds(runner, dataset, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = tmp_path / "res"
    run(runner, "evaluate", "--data", dataset, "--out", out, "--estimators",
        "ls-linear,genie-lmmse", "-q")
    labels = {}
    real_legend = plt.Figure.legend

    def spy(fig, *a, **k):
        labels[metric] = [t.get_text() for t in real_legend(fig, *a, **k).get_texts()]

    for metric in ("nmse", "nmse-ps"):
        plt.Figure.legend = spy
        try:
            assert run(runner, "plot", out / "results.csv", "--out", tmp_path / metric,
                       "--metric", metric).exit_code == 0
        finally:
            plt.Figure.legend = real_legend
    assert any(t.endswith("(bound)") for t in labels["nmse"])
    assert not any("bound" in t for t in labels["nmse-ps"])


def test_checkpoint_run_folder_is_accepted_and_a_folder_without_one_is_explained(
        runner, dataset, tmp_path):
    empty = tmp_path / "run"
    empty.mkdir()
    res = run(runner, "evaluate", "--data", dataset, "--out", tmp_path / "r", "--estimators",
              f"ckpt:{empty}", "-q")
    assert res.exit_code == 2
    assert f"give a checkpoint stem such as ckpt:{empty}/best" in res.stderr


def tiny_experiment(tmp_path, name: str, out_dir):
    """A one-epoch, 4-channel CENet experiment YAML on the SMALL scenario."""
    import yaml

    cfg = tmp_path / "exp.yaml"
    cfg.write_text(yaml.safe_dump({
        "name": name, "out_dir": str(out_dir),
        "model": {"name": "cenet", "kwargs": {"channels": 4, "blocks": 1}},
        "data": {"simulate": str(write_cfg(tmp_path, SMALL)), "samples_per_epoch": 16,
                 "val_samples": 16},
        "train": {"epochs": 1, "batch_size": 16}}))
    return cfg


def test_train_name_and_out_dir_from_the_command_line(runner, tmp_path):
    cfg = tiny_experiment(tmp_path, "yaml-name", tmp_path / "yaml-runs")
    res = run(runner, "train", "--config", cfg, "--name", "cli-name", "--out-dir",
              tmp_path / "cli-runs", "-q", "--device", "cpu")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "cli-runs" / "cli-name" / "best.json").exists()
    assert not (tmp_path / "yaml-runs").exists()
    again = run(runner, "train", "--config", cfg, "--name", "cli-name", "--out-dir",
                tmp_path / "cli-runs", "-q", "--device", "cpu", "--resume")
    assert again.exit_code == 0 and "nothing left to train" in again.output
    bad = run(runner, "train", "--config", cfg, "--name", "no/slashes", "-q")
    assert bad.exit_code == 2 and "name" in bad.stderr


def test_estimator_warnings_reach_the_user_as_one_line_each(runner, tmp_path):
    import numpy as np

    mask = np.zeros((14, 72), dtype=int)
    mask[2, 10:22] = 1
    mask[9, 40:64:2] = 1
    np.save(tmp_path / "mask.npy", mask)
    cfg = write_cfg(tmp_path, {**SMALL, "pilots": {"pattern": "file",
                                                     "path": str(tmp_path / "mask.npy")}})
    data = tmp_path / "d.h5"
    assert run(runner, "simulate", "--config", cfg, "-n", 32, "--out", data, "-q").exit_code == 0
    res = run(runner, "evaluate", "--data", data, "--out", tmp_path / "r", "-q",
              "--estimators", "dft,ls-linear", "--batch-size", 16)
    assert res.exit_code == 0
    warned = [line for line in res.stderr.splitlines() if line.startswith("Warning: dft:")]
    assert len(warned) == 1 and "Traceback" not in res.stderr


def test_train_names_the_missing_data_field_and_finds_paths_beside_the_yaml(runner, tmp_path,
                                                                          monkeypatch):
    import yaml

    exp_dir = tmp_path / "exp"
    exp_dir.mkdir()
    write_cfg(exp_dir, SMALL, name="scenario.yaml")
    cfg = exp_dir / "exp.yaml"
    body = {"name": "r", "out_dir": str(tmp_path / "runs"),
            "model": {"name": "cenet", "kwargs": {"channels": 4, "blocks": 1}},
            "data": {"simulate": "scenario.yaml", "samples_per_epoch": 16, "val_samples": 16},
            "train": {"epochs": 1, "batch_size": 16}}
    cfg.write_text(yaml.safe_dump(body))
    monkeypatch.chdir(tmp_path)  # run from another folder: found beside the YAML
    res = run(runner, "train", "--config", cfg, "-q", "--device", "cpu")
    assert res.exit_code == 0, res.output
    body["data"]["simulate"] = "configs/missing.yaml"
    cfg.write_text(yaml.safe_dump(body))
    res = run(runner, "train", "--config", cfg, "-q", "--name", "r2")
    assert res.exit_code == 2
    assert res.stderr.strip().startswith("Error: data.simulate: file not found: "
                                         "configs/missing.yaml")


def test_dataset_with_nan_pilots_is_refused_and_nothing_is_written(runner, dataset, tmp_path):
    import h5py
    import numpy as np

    with h5py.File(dataset, "r+") as f:
        y = f["y"][:]
        y[7, 0, 3] = np.nan
        f["y"][:] = y
    out = tmp_path / "res"
    res = run(runner, "evaluate", "--data", dataset, "--out", out, "-q",
              "--estimators", "ls-linear")
    assert res.exit_code == 2
    assert res.stderr.strip() == ("Error: --data: grid 7 holds a non-finite pilot observation "
                                  "or noise variance (y, no must be finite, no > 0)")
    assert not (out / "results.csv").exists()


@pytest.mark.parametrize("args", [
    ["simulate", "-n", 8, "--out", "/proc/chanest-test/x.h5", "-q"],
    ["evaluate", "--data", "{data}", "--out", "/proc/chanest-test", "-q",
     "--estimators", "ls-linear"],
    ["plot", "{data}", "--out", "{tmp}/fig"],
])
def test_unwritable_outputs_and_wrong_files_fail_in_one_line(runner, dataset, tmp_path, args):
    res = run(runner, *[str(a).format(data=dataset, tmp=tmp_path) for a in args])
    assert res.exit_code == 2
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in res.output
    assert not list(tmp_path.glob("fig*"))


def test_train_overwrite_starts_afresh_and_refuses_foreign_folders(runner, tmp_path):
    cfg = tiny_experiment(tmp_path, "r", tmp_path / "runs")
    args = ["train", "--config", cfg, "-q", "--device", "cpu"]
    assert run(runner, *args).exit_code == 0
    again = run(runner, *args)
    assert again.exit_code == 2 and "already holds a run" in again.stderr
    assert run(runner, *args, "--overwrite").exit_code == 0
    log = tmp_path / "runs" / "r" / "log.csv"
    assert len(log.read_text().splitlines()) == 2
    before = log.read_text()
    bad = yaml.safe_load(cfg.read_text())
    bad["data"]["user"] = 3  # the scenario has one transmitter
    cfg.write_text(yaml.safe_dump(bad))
    res = run(runner, *args, "--overwrite")
    assert res.exit_code == 2 and "data.user" in res.stderr
    assert log.read_text() == before  # the refused run left the old one in place
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["r"]  # nothing left aside
    foreign = tmp_path / "runs" / "x"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep")
    res = run(runner, *args, "--name", "x", "--overwrite")
    assert res.exit_code == 2 and "not a chanest run folder" in res.stderr
    assert (foreign / "precious.txt").read_text() == "keep"


def test_plot_shows_calibration_as_reported_minus_measured_error(runner, dataset, tmp_path):
    from chanest.plots.results import read_results

    out = tmp_path / "res"
    run(runner, "evaluate", "--data", dataset, "--out", out, "--estimators",
        "ls-linear,lmmse", "-q")
    rows = read_results(out / "results.csv")
    for r in rows:
        assert r["calibration_db"] == pytest.approx(r["err_var_db"] - r["mse_db"])
    res = run(runner, "plot", out / "results.csv", "--out", tmp_path / "cal.png",
              "--metric", "calibration")
    assert res.exit_code == 0 and (tmp_path / "cal.png").stat().st_size > 0


def test_estimator_that_cannot_run_on_the_data_is_named_and_nothing_is_written(runner,
                                                                               tmp_path):
    """`lmmse` on UMi (taps drawn per grid, no scenario-average profile) without --fit-data:
    the one-line error names the estimator and the fix; no results folder is left."""
    cfg = {**SMALL, "channel": {"model": "umi", "speed_mps": [0, 3]}}
    data = tmp_path / "umi.h5"
    assert run(runner, "simulate", "-n", 8, "--out", data, "-q",
               "--config", write_cfg(tmp_path, cfg)).exit_code == 0
    out = tmp_path / "res"
    res = run(runner, "evaluate", "--data", data, "--out", out, "-q",
              "--estimators", "ls-linear,lmmse")
    assert_clean_failure(res, "Error: estimator lmmse: the umi model draws its taps per grid",
                         out)
    assert "--fit-data" in res.stderr
