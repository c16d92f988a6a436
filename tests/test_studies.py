"""Study scripts in their tiny mode: they run end to end, write what they promise, and
resume instead of redoing finished work."""

import csv
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _run(script, *args):
    res = subprocess.run([sys.executable, str(REPO / "sims" / script), *args], cwd=REPO,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


@pytest.mark.slow  # 30-40 s: the default run stays under 3.5 min on 2 cores
def test_generalization_study_writes_the_gap_matrix_with_each_familys_reference_and_resumes(
        tmp_path):
    """A Rayleigh family (gap to the genie bound) and a stored UMi family (gap to the rays'
    genie-paths reference, no nominal LMMSE), plus a held-out family."""
    import yaml

    cfg = yaml.safe_load((REPO / "configs/studies/generalization.yaml").read_text())
    cfg["families"] = {"classic": "configs/families/lte-classic.yaml",
                       "umi": {"train": "configs/families/lte-umi.yaml", "stored": 4096}}
    cfg["test_only"] = {"cdl": "configs/families/lte-cdl.yaml"}
    (tmp_path / "gen.yaml").write_text(yaml.safe_dump(cfg))
    out = tmp_path / "gen"
    _run("generalization.py", "--tiny", "--config", str(tmp_path / "gen.yaml"), "--out", str(out))
    rows = list(csv.DictReader(open(out / "results.csv")))
    assert {r["test"]: r["reference"] for r in rows} == {
        "classic": "genie-lmmse", "umi": "genie-paths", "cdl": "genie-lmmse"}
    methods = {(r["method"], r["trained_on"]) for r in rows}
    assert {("cenet", "classic"), ("lmmse-nominal", "classic"), ("lmmse-fit", "classic"),
            ("cenet", "umi"), ("lmmse-fit", "umi")} <= methods
    assert ("lmmse-nominal", "umi") not in methods
    assert {("lmmse-adaptive", ""), ("lmmse-robust", ""), ("genie-lmmse", ""),
            ("genie-paths", "")} <= methods
    for r in rows:
        assert math.isfinite(float(r["gap_db"]))
        if r["method"] == r["reference"]:
            assert float(r["gap_db"]) == 0.0
    from chanest.data.dataset import open_dataset

    with open_dataset([str(out / "data" / "umi-train.h5")]) as ds:
        assert len(ds) == 64  # --tiny stores 64 training grids
    for name in ("gap_0dB.csv", "gap_30dB.csv", "heatmap.pdf", "heatmap.png"):
        assert (out / name).stat().st_size > 0
    again = _run("generalization.py", "--tiny", "--config", str(tmp_path / "gen.yaml"),
                 "--out", str(out))
    assert again.count("finished, skipped") == 2 and again.count("skipped") == 5


def test_pretrained_evaluation_tables_the_chosen_shipped_model(tmp_path):
    """The 72x14 model only (the 624x14 one takes 20 s more; `-m slow` runs every model)."""
    _run("pretrained_eval.py", "--tiny", "--models", "cenet-lte-mixture", "--out", str(tmp_path))
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert {r["model"] for r in rows} == {"cenet-lte-mixture"}
    assert "pretrained:cenet-lte-mixture" in (tmp_path / "results.md").read_text()


@pytest.mark.slow
def test_pretrained_evaluation_tables_every_shipped_model(tmp_path):
    from chanest.pretrained import available

    _run("pretrained_eval.py", "--tiny", "--out", str(tmp_path))
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert {r["model"] for r in rows} == set(available())
    md = (tmp_path / "results.md").read_text()
    for name in available():
        assert f"pretrained:{name}" in md


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.slow  # about 10 s: a study script end to end
def test_pilot_density_study_tables_nmse_per_pilot_count_and_resumes(tmp_path):
    out = tmp_path / "pd"
    _run("pilot_density.py", "--tiny", "--out", str(out))
    rows = _rows(out / "results.csv")
    assert {r["num_pilots"] for r in rows} == {"16", "48"}
    assert {r["estimator"] for r in rows} == {"ls-linear", "lmmse", "genie-lmmse"}
    nmse = {(r["estimator"], r["num_pilots"]): float(r["nmse_db"]) for r in rows}
    assert nmse[("lmmse", "48")] < nmse[("lmmse", "16")]  # more pilots, lower error
    points = _rows(out / "nmse_vs_pilots.csv")
    assert {p["x"] for p in points} == {"16", "48"} and len(points) == 6
    assert (out / "nmse_vs_pilots.pdf").stat().st_size > 0
    again = _run("pilot_density.py", "--tiny", "--out", str(out))
    assert again.count("finished, skipped") == 4


@pytest.mark.slow  # about 7 s: a study script end to end
def test_robustness_study_sweeps_delay_spread_and_doppler(tmp_path):
    out = tmp_path / "rb"
    _run("robustness.py", "--tiny", "--out", str(out), "--delay-spreads", "30,300",
         "--dopplers", "10,400")
    spread = _rows(out / "delay_spread.csv")
    assert {r["delay_spread_ns"] for r in spread} == {"30.0", "300.0"}
    assert {r["doppler_hz"] for r in spread} == {"100.0"}
    doppler = _rows(out / "doppler.csv")
    assert {r["doppler_hz"] for r in doppler} == {"10.0", "400.0"}
    ls = {r["doppler_hz"]: float(r["nmse_db"]) for r in doppler if r["estimator"] == "ls-linear"}
    assert ls["400.0"] > ls["10.0"]  # faster fading, worse interpolation
    for fig in ("nmse_vs_delay_spread", "nmse_vs_doppler"):
        assert (out / f"{fig}.png").stat().st_size > 0
        assert {p["estimator"] for p in _rows(out / f"{fig}.csv")} == {
            "ls-linear", "lmmse-robust", "lmmse", "genie-lmmse"}


@pytest.mark.slow
def test_channelnet_reproduction_trains_three_networks_per_density_and_resumes(tmp_path):
    out = tmp_path / "cn"
    _run("channelnet_repro.py", "--tiny", "--out", str(out))
    rows = _rows(out / "results.csv")
    assert {r["num_pilots"] for r in rows} == {"48", "16"}
    names = {r["estimator"] for r in rows}
    for model in ("channelnet", "reesnet", "cenet"):
        for d in (48, 16):
            assert any(n.endswith(f"{model}-p{d}/best") for n in names)
    assert {"ls-linear", "ls-rbf", "lmmse-separable", "lmmse", "genie-lmmse"} <= names
    points = _rows(out / "nmse.csv")
    assert {p["file"] for p in points} == {"48 pilots", "16 pilots"}
    assert {p["series"] for p in points} >= {"cenet [48 pilots]", "cenet [16 pilots]"}
    assert {p["series"] for p in _rows(out / "training.csv")} == {
        f"{m}-p{d}" for m in ("channelnet", "reesnet", "cenet") for d in (48, 16)}
    again = _run("channelnet_repro.py", "--tiny", "--out", str(out))
    assert again.count("finished, skipped") == 10


@pytest.mark.slow  # 20-25 s: the default run stays under 3.5 min on 2 cores
def test_multiseed_study_summarises_the_network_over_seeds(tmp_path):
    out = tmp_path / "ms"
    _run("multiseed.py", "--tiny", "--out", str(out), "--seeds", "3,4")
    per_seed = _rows(out / "seeds.csv")
    assert {r["seed"] for r in per_seed} == {"3", "4"}
    summary = [r for r in _rows(out / "summary.csv") if r["estimator"] == "cenet"]
    assert len(summary) == 7  # one per test SNR
    for r in summary:
        values = [float(s["nmse_db"]) for s in per_seed
                  if s["snr_db"] == r["snr_db"] and s["model"] == r["model"]]
        mean = sum(values) / 2
        assert float(r["nmse_db"]) == pytest.approx(mean, abs=1e-3)
        half = float(r["nmse_db_hi"]) - mean
        assert half == pytest.approx(abs(values[0] - values[1]) / 2 ** 0.5, abs=1e-3)
    classical = [r for r in _rows(out / "summary.csv") if r["estimator"] == "lmmse"]
    assert classical and all(r["nmse_db_lo"] == "" for r in classical)  # no bars
    points = _rows(out / "nmse.csv")
    assert {p["estimator"] for p in points} == {"ls-linear", "lmmse-robust", "lmmse",
                                                "genie-lmmse", "cenet"}
    assert (out / "training.png").stat().st_size > 0
    again = _run("multiseed.py", "--tiny", "--out", str(out), "--seeds", "3,4")
    assert again.count("finished, skipped") == 4


@pytest.mark.slow
def test_nr_dmrs_study_evaluates_the_shipped_network_per_tdl_profile(tmp_path):
    out = tmp_path / "nr"
    _run("nr_dmrs.py", "--tiny", "--out", str(out))
    rows = _rows(out / "results.csv")
    assert {r["estimator"] for r in rows} == {"ls-linear", "pretrained:cenet-nr-dmrs"}
    assert {r["model"] for r in rows} >= {"all", "tdl-A", "tdl-E"}
    per_profile = _rows(out / "nmse_per_profile.csv")
    assert {p["panel"] for p in per_profile} == {r["model"] for r in rows}
    assert {p["panel"] for p in _rows(out / "nmse.csv")} == {"all"}
    assert "CENet (shipped)" in {p["series"] for p in per_profile}
    for name in ("grid.pdf", "grid.png", "nmse.pdf", "nmse_per_profile.png"):
        assert (out / name).stat().st_size > 0


@pytest.mark.slow
def test_uplink_study_trains_a_network_per_cdm_group_and_writes_nmse_and_bler(tmp_path):
    out = tmp_path / "uplink"
    _run("uplink_neural.py", "--tiny", "--out", str(out))
    with (out / "results_bler.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    network = next(r["estimator"] for r in rows if r["estimator"].startswith("ckpt:"))
    assert network.count("|") == 3 and network.count("group0") == 2  # a network per user
    assert {"perfect-csi", "lmmse-adaptive", network} <= {r["estimator"] for r in rows}
    assert all(r["bler"] != "" for r in rows)
    for name in ("nmse", "bler"):
        assert (out / f"{name}.png").stat().st_size > 0 and (out / f"{name}.csv").exists()
    assert "finished, skipped" in _run("uplink_neural.py", "--tiny", "--out", str(out))


@pytest.mark.slow  # ~1 min: traces a small scene four times and once more cold, trains 2
def test_sites_study_fine_tunes_a_network_and_evaluates_both_sites_and_the_cache(tmp_path):
    from chanest.channels.site_runtime import rt_available

    if rt_available() is not None:
        pytest.skip(f"site model: {rt_available()}")
    out = tmp_path / "sites"
    _run("sites.py", "--tiny", "--out", str(out))
    rows = _rows(out / "results.csv")
    assert {r["estimator"] for r in rows} == {
        "ls-linear", "lmmse-robust", "lmmse-adaptive", "lmmse", "genie-paths",
        "cenet (generic)", "cenet-site", "arraynet-site"}
    assert {(r["site"], r["model"]) for r in rows} == {
        ("simple_street_canyon (test part)", "site-simple_street_canyon-test"),
        ("simple_street_canyon", "site-simple_street_canyon")}
    nmse = {(r["model"], r["estimator"], r["snr_db"]): float(r["nmse_db"]) for r in rows}
    for model in ("site-simple_street_canyon-test", "site-simple_street_canyon"):
        assert nmse[model, "genie-paths", "30"] < nmse[model, "ls-linear", "30"]
    for run in ("cenet-site", "arraynet-site"):
        assert (out / "runs" / run / "best.json").is_file()
    assert len(rows) == 2 * 8 * 4  # two sites x 8 estimators x 4 SNRs
    timing = _rows(out / "timing.csv")[0]
    assert float(timing["warm_s"]) < float(timing["cold_s"])
    assert (out / "nmse_vs_snr.png").stat().st_size > 0
    assert "finished, skipped" in _run("sites.py", "--tiny", "--out", str(out))


@pytest.mark.slow  # two tiny datasets, five evaluations: 1-2 min on 2 busy cores
def test_arraynet_eval_tabulates_every_estimator_and_the_margin(tmp_path):
    """On a tiny 2-antenna CDL test set (rays stored for genie-paths), every estimator has
    a row per SNR, and the margin row is the best practical NMSE minus the network's."""
    import yaml

    scenario = tmp_path / "sc.yaml"
    scenario.write_text(yaml.safe_dump({
        "chunk_size": 8, "noise": {"snr_db": [0, 20]},
        "channel": {"model": "cdl", "profile": "C", "num_rx_antennas": 2, "paths": True}}))
    for part, seed in (("test", 1), ("fit", 2)):
        subprocess.run([sys.executable, str(REPO / "cli.py"), "simulate", "--config",
                        str(scenario), "-n", "8", "--seed", str(seed), "-o",
                        str(tmp_path / f"{part}.h5"), "--device", "cpu"], check=True,
                       cwd=REPO, capture_output=True)
    out = tmp_path / "eval"
    text = _run("arraynet_eval.py", "--out", str(out), "--nets", "ls-nearest",
                "--test", f"tiny={tmp_path / 'test.h5'}:{tmp_path / 'fit.h5'}")
    rows = list(csv.DictReader(open(out / "results.csv")))
    nmse = {(r["estimator"], float(r["snr_db"])): float(r["nmse_db"]) for r in rows}
    practical = ("ls-linear", "lmmse-adaptive", "lmmse-adaptive-array", "lmmse-kron")
    names = {"ls-nearest", *practical, "genie-paths"}
    assert set(nmse) == {(n, s) for n in names for s in (0.0, 20.0)}
    margin = [min(nmse[(e, s)] for e in practical) - nmse[("ls-nearest", s)]
              for s in (0.0, 20.0)]
    expected = " | ".join(f"{m:+.2f}" for m in margin)
    assert f"| margin of ls-nearest over the best practical | {expected} |" in text


@pytest.mark.slow  # about 40 s: Sionna's LMMSE on a selection set, UMi drops, LDPC decoding
def test_arrays_study_tables_spatial_against_per_antenna_estimators_and_resumes(tmp_path):
    out = tmp_path / "arr"
    _run("arrays.py", "--tiny", "--out", str(out))
    rows = _rows(out / "results.csv")
    assert {r["part"] for r in rows} == {"snr", "antennas", "asa"}
    names = {r["estimator"] for r in rows if r["part"] == "snr"}
    assert {"ls-linear", "lmmse-adaptive", "lmmse-kron", "lmmse-full", "lmmse-adaptive-array",
            "genie-paths", "lmmse-sionna(t-f)", "lmmse-sionna(t-f-s)"} <= names
    assert {r["num_antennas"] for r in rows if r["part"] == "antennas"} == {"1", "4"}
    assert len({r["asa_deg"] for r in rows if r["part"] == "asa"}) == 4
    orders = _rows(out / "sionna_orders.csv")
    assert {o["order"] for o in orders} == {"t-f", "t-f-s"}
    speed = {r["estimator"]: float(r["grids_per_s"]) for r in _rows(out / "throughput.csv")}
    assert len(speed) == 2 and all(v > 0 for v in speed.values())
    assert {r["estimator"] for r in _rows(out / "bler.csv")} >= {"lmmse-kron", "perfect-csi"}
    for name in ("nmse_vs_snr", "nmse_vs_antennas", "nmse_vs_asa"):
        assert (out / f"{name}.png").stat().st_size > 0
    again = _run("arrays.py", "--tiny", "--out", str(out))
    assert "simulated" not in again and "evaluated" not in again


@pytest.mark.slow  # about 2 min: four trainings in their own processes
def test_zoo_study_trains_each_network_per_seed_and_tables_them_per_snr(tmp_path):
    out = tmp_path / "zoo"
    _run("zoo.py", "--tiny", "--out", str(out))
    per_seed = _rows(out / "seeds.csv")
    assert {(r["label"], r["seed"]) for r in per_seed} == {
        (n, s) for n in ("cenet", "score-lmmse") for s in ("0", "1")}
    summary = _rows(out / "summary.csv")
    assert {r["estimator"] for r in summary} == {"ls-linear", "lmmse-robust", "lmmse-adaptive",
                                                 "lmmse", "genie-lmmse", "cenet", "score-lmmse"}
    for r in (r for r in summary if r["seeds"]):
        values = [float(s["nmse_db"]) for s in per_seed if s["label"] == r["estimator"]
                  and s["snr_db"] == r["snr_db"] and s["model"] == r["model"]]
        assert float(r["nmse_db"]) == pytest.approx(sum(values) / 2, abs=1e-3)
    comp = {r["estimator"]: r for r in _rows(out / "complexity.csv")}
    assert set(comp) == {"cenet", "score-lmmse"}
    assert all(int(r["parameters"]) > 0 and int(r["macs_per_grid"]) > 0 for r in comp.values())
    table = (out / "zoo.md").read_text()
    assert table.count("## SNR") == 4 and "2 seed(s), 64 training grids per network" in table
    assert (out / "nmse.png").stat().st_size > 0
    gain = _rows(out / "gain.csv")  # the networks on lmmse-adaptive, as differences to it
    assert {r["estimator"] for r in gain} == {"lmmse-adaptive", "genie-lmmse", "score-lmmse"}
    assert all(float(r["y"]) == 0 for r in gain if r["estimator"] == "lmmse-adaptive")
    on_linear = _rows(out / "gain-ls-linear.csv")  # the other networks, against ls-linear
    assert {r["estimator"] for r in on_linear} == {"ls-linear", "genie-lmmse", "cenet"}
    again = _run("zoo.py", "--tiny", "--out", str(out))
    assert again.count("finished, skipped") == 11  # 4 trainings, data, 5 evaluations, MACs


def test_zoo_tables_call_a_gap_within_the_spread_a_tie(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "sims"))
    from zoo import markdown

    def net(name, mean, std, seeds=3):
        return {"estimator": name, "snr_db": "10", "model": "all", "nmse_db": str(mean),
                "nmse_db_std": str(std), "seeds": str(seeds), "is_bound": "False"}

    summary = [net("a", -20.0, 0.3), net("b", -19.8, 0.1), net("c", -19.0, 0.2),
               {**net("lmmse", -18.0, 0, ""), "seeds": ""}]
    table = markdown(summary, {"a": {"parameters": 10, "macs_per_grid": 5, "latency_ms": 1}},
                     "t")
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if "|" in line}
    assert "| best |" in rows["a"] and "| tie |" in rows["b"] and "| worse |" in rows["c"]
    assert "classical" in rows["lmmse"]
    assert "Best network: **a**." in table  # no lmmse-adaptive or CENet row to compare with
    one = markdown([net("a", -20.0, 0.0, 1), net("b", -19.99, 0.0, 1)], {}, "t")
    assert "(1 seed)" in one and "tie" not in one
    # seeds that agree to the thousandth: a gap under the floor is still a tie
    close = markdown([net("a", -20.0, 0.001), net("b", -19.97, 0.001), net("c", -19.9, 0.001)],
                     {}, "t")
    rows = {line.split("|")[1].strip(): line for line in close.splitlines() if "|" in line}
    assert "| tie |" in rows["b"] and "| worse |" in rows["c"]


def test_zoo_tables_name_the_best_network_with_its_margins(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "sims"))
    from zoo import best_line

    def row(name, mean, seeds="3"):
        return {"estimator": name, "nmse_db": str(mean), "seeds": seeds}

    at = [row("mtre-lmmse", -21.0), row("cenet-lmmse", -20.4), row("cenet", -18.0),
          row("lmmse-adaptive", -20.0, "")]
    assert best_line(at) == ("Best network: **mtre-lmmse**, +1.00 dB over `lmmse-adaptive` "
                             "(lmmse-adaptive); +0.60 dB over the best CENet (cenet-lmmse).")
    assert best_line(at[2:]) == ("Best network: **cenet**, -2.00 dB over `lmmse-adaptive` "
                                 "(lmmse-adaptive); +0.00 dB over the best CENet (cenet).")


@pytest.mark.parametrize("config", sorted((REPO / "configs/studies/zoo").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_zoo_configs_give_valid_experiments_and_networks_for_every_budget(config):
    """Every budget of every zoo config (cpu, cpu-4k, gpu, ...) yields experiments the
    trainer accepts, and every network builds on the scenario's pilot layout, so a long
    run cannot fail on its config after hours."""
    import yaml

    sys.path.insert(0, str(REPO / "sims"))
    from zoo import experiment

    from chanest.data.scenario import load_config
    from chanest.grid.pilots import pilot_mask
    from chanest.models.registry import build_model, model_spec
    from chanest.training.experiment import parse_experiment

    cfg = yaml.safe_load(config.read_text())
    scn = load_config(REPO / cfg["scenario"])
    mask = pilot_mask(scn.pilots, scn.grid)
    assert {"cpu", "gpu"} <= set(cfg["budgets"])
    for budget in cfg["budgets"].values():
        assert len(budget["seeds"]) >= 3 and budget["test_grids"] > 0
        for network, spec in cfg["networks"].items():
            exp = parse_experiment(experiment(cfg, network, 0, budget, False))
            assert exp.model.name == spec["name"]
            assert exp.data.samples_per_epoch == budget["samples_per_epoch"]
    for spec in cfg["networks"].values():
        resolved = model_spec(spec["name"], dict(spec.get("kwargs") or {}), mask)
        assert build_model(resolved["name"], **resolved["kwargs"]) is not None
