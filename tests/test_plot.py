"""plot: PDF and PNG from a results table, bounds dashed and labelled."""

import csv

import pytest

from chanest.cli import main
from chanest.commands.plot import plot_command
from chanest.evaluation.evaluate import RESULT_COLUMNS
from chanest.plots.results import plot_results, read_results
from chanest.schema import ConfigError


def _table(path, models=("pdp-VehA",)):
    rows = []
    for name, bound, offset in (("ls-linear", False, 6.0), ("lmmse", False, 1.0),
                                ("genie-lmmse", True, 0.0)):
        for model in models:
            for snr in (0.0, 10.0, 20.0):
                v = -snr - 5 + offset
                rows.append({c: "" for c in RESULT_COLUMNS} | dict(
                    estimator=name, is_bound=bound, snr_db=snr, model=model, n=100,
                    mse=10 ** (v / 10), mse_db=v, mse_db_lo=v - .2, mse_db_hi=v + .2, nmse_db=v,
                    nmse_db_lo=v - .1, nmse_db_hi=v + .1, nmse_ps_db=v + 2,
                    nmse_ps_db_lo=v + 1.9, nmse_ps_db_hi=v + 2.1, err_var_db=v))
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=RESULT_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return path


def _labels_and_styles(monkeypatch):
    """Capture what plot_results draws (labels and line styles) without reading images."""
    import matplotlib.axes

    drawn = []
    original = matplotlib.axes.Axes.plot

    def spy(self, *args, **kwargs):
        drawn.append((kwargs.get("label"), kwargs.get("linestyle")))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "plot", spy)
    return drawn


def test_writes_pdf_and_png_with_the_bound_dashed(tmp_path, monkeypatch):
    drawn = _labels_and_styles(monkeypatch)
    paths = plot_results(_table(tmp_path / "results.csv"), tmp_path / "fig" / "nmse")
    assert [p.name for p in paths] == ["nmse.pdf", "nmse.png", "nmse.csv"]
    assert paths[0].read_bytes()[:5] == b"%PDF-"
    assert paths[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ("genie-lmmse (bound)", "--") in drawn
    assert ("lmmse", "-") in drawn and ("ls-linear", ":") in drawn
    assert not list((tmp_path / "fig").glob("*.tmp"))


def test_one_panel_per_model_group(tmp_path, monkeypatch):
    drawn = _labels_and_styles(monkeypatch)
    plot_results(_table(tmp_path / "results.csv", ("all", "a", "b")), tmp_path / "f",
                 metric="mse")
    assert len(drawn) == 9
    drawn.clear()
    plot_results(tmp_path / "results.csv", tmp_path / "g", model="b")
    assert len(drawn) == 3


def test_bad_inputs(tmp_path):
    with pytest.raises(ConfigError, match="RESULTS_CSV: file not found"):
        plot_results(tmp_path / "none.csv", tmp_path / "f")
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ConfigError, match="missing column 'estimator'"):
        read_results(tmp_path / "x.csv")
    table = _table(tmp_path / "results.csv")
    with pytest.raises(ConfigError, match="^model: 'zz' is not in the table"):
        plot_results(table, tmp_path / "f", model="zz")
    with pytest.raises(ConfigError, match="^metric: results.csv has no column 'ber' "
                                          r"\(evaluate --metric ber writes it\)"):
        plot_results(table, tmp_path / "f", metric="ber")
    with pytest.raises(ConfigError, match="^metric: expected one of"):
        plot_results(table, tmp_path / "f", metric="snr")


def test_cli(tmp_path, runner):
    table = _table(tmp_path / "results.csv")
    res = runner.invoke(plot_command, [str(table), "--out", str(tmp_path / "fig")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "fig.pdf").is_file() and (tmp_path / "fig.png").is_file()
    assert "fig.png" in res.output


def test_checkpoint_legend_names():
    from chanest.plots.results import display_name

    assert display_name("ckpt:runs/cenet-veha/best") == "cenet-veha"
    assert display_name("ckpt:runs/veha/snr*/best") == "veha (per SNR)"
    assert display_name("lmmse") == "lmmse"


def test_each_estimator_keeps_its_style_whatever_the_table_order(tmp_path, monkeypatch):
    """lmmse is the same colour and marker whether it comes first or last, no two
    estimators share colour+marker+line, and the bound is drawn beneath the rest."""
    import matplotlib

    seen = []
    original = matplotlib.axes.Axes.plot

    def spy(self, *args, **kwargs):
        seen.append((kwargs.get("label"), kwargs.get("color"), kwargs.get("marker"),
                     str(kwargs.get("linestyle")), kwargs.get("zorder")))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "plot", spy)
    table = _table(tmp_path / "results.csv")
    plot_results(table, tmp_path / "a", estimators=["lmmse", "ls-linear", "genie-lmmse"])
    first = {label: rest for label, *rest in seen}
    seen.clear()
    plot_results(table, tmp_path / "b", estimators=["genie-lmmse", "ls-linear", "lmmse"])
    second = {label: rest for label, *rest in seen}
    assert first == second
    assert len({tuple(v[:3]) for v in first.values()}) == len(first)
    bound = first["genie-lmmse (bound)"]
    others = [v[3] for k, v in first.items() if k != "genie-lmmse (bound)"]
    assert bound[0] == "black" and bound[3] < min(others)


def test_subset_relabel_title_and_size_options(tmp_path, runner):
    table = _table(tmp_path / "results.csv")
    res = runner.invoke(plot_command, [str(table), "--out", str(tmp_path / "fig.png"),
                                       "--estimators", "lmmse,genie-lmmse", "--label",
                                       "lmmse=LMMSE (nominal)", "--no-title", "--size",
                                       "double"])
    assert res.exit_code == 0, res.output
    bad = runner.invoke(main, ["plot", str(table), "--out", str(tmp_path / "f.png"),
                               "--estimators", "nope"])
    assert bad.exit_code == 2 and "--estimators: 'nope' is not in the table" in bad.output
    bad = runner.invoke(plot_command, [str(table), "--out", str(tmp_path / "f.png"),
                                       "--label", "oops"])
    assert bad.exit_code != 0 and "expected NAME=LABEL" in str(bad.exception)


def _points(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_points_csv_holds_exactly_the_drawn_points(tmp_path):
    table = _table(tmp_path / "results.csv", ("a", "b"))
    *_, points = plot_results(table, tmp_path / "fig.svg", estimators=["lmmse", "genie-lmmse"])
    assert points == tmp_path / "fig.csv" and (tmp_path / "fig.svg").is_file()
    rows = _points(points)
    assert len(rows) == 2 * 2 * 3  # estimators x panels x SNRs
    first = next(r for r in rows if r["panel"] == "b" and r["estimator"] == "lmmse"
                 and r["x"] == "10")
    assert float(first["y"]) == -14.0 and float(first["y_lo"]) == pytest.approx(-14.1)
    assert {r["series"] for r in rows} == {"lmmse", "genie-lmmse (bound)"}


def test_relative_to_draws_differences_to_one_estimator_with_its_zero_line(tmp_path):
    """Every value minus the reference's at the same SNR and panel; the interval moves
    with the value; the reference is the zero line; the axis says what is drawn."""
    import matplotlib.pyplot as plt

    table = _table(tmp_path / "results.csv", ("a", "b"))
    made = []
    original = plt.subplots
    plt.subplots = lambda *a, **k: made.append(original(*a, **k)) or made[-1]
    try:
        *_, points = plot_results(table, tmp_path / "gain", relative_to="lmmse")
    finally:
        plt.subplots = original
    rows = _points(points)
    assert len(rows) == 3 * 2 * 3
    by = {(r["estimator"], r["panel"], r["x"]): r for r in rows}
    assert float(by["lmmse", "b", "20"]["y"]) == 0.0
    assert float(by["ls-linear", "a", "10"]["y"]) == pytest.approx(5.0)  # offsets 6 and 1
    assert float(by["genie-lmmse", "a", "0"]["y"]) == pytest.approx(-1.0)
    assert float(by["genie-lmmse", "a", "0"]["y_lo"]) == pytest.approx(-1.1)
    fig, axes = made[0]
    assert axes.flat[0].get_ylabel() == "NMSE − lmmse [dB]"


@pytest.mark.parametrize("extra,message", [
    (["--relative-to", "nope"], "Error: --relative-to: 'nope' is not in the table"),
    (["--relative-to", "lmmse", "--metric", "ber"], "Error: --metric: results.csv has no "
                                                    "column 'ber'"),
])
def test_relative_to_mistakes_are_one_line_errors(runner, tmp_path, extra, message):
    from tests.test_cli import run

    res = run(runner, "plot", _table(tmp_path / "results.csv"), "--out", tmp_path / "fig",
              *extra)
    assert res.exit_code == 2 and res.stderr.strip().startswith(message), res.stderr
    assert not list(tmp_path.glob("fig*"))


def test_relative_to_refuses_a_log_metric(tmp_path):
    from chanest.plots.metrics import METRICS
    from chanest.plots.relative import relative_rows

    rows = [dict(estimator="a", model="all", _file=0, snr_db=0.0, ber=0.1)]
    with pytest.raises(ConfigError, match="relative_to: differences are drawn for metrics in "
                                          "dB only"):
        relative_rows(rows, "a", METRICS["ber"], "snr_db")


def test_points_csv_never_replaces_the_input_table(tmp_path):
    table = _table(tmp_path / "results.csv")
    before = table.read_text()
    with pytest.raises(ConfigError, match="^out: the plotted points would go to"):
        plot_results(table, tmp_path / "results.png")
    assert table.read_text() == before and not (tmp_path / "results.png").exists()


def test_two_files_keep_estimator_colours_and_differ_by_line_style(tmp_path, monkeypatch):
    import matplotlib

    seen = []
    original = matplotlib.axes.Axes.plot

    def spy(self, *args, **kwargs):
        seen.append((kwargs.get("label"), kwargs.get("color"), kwargs.get("marker"),
                     kwargs.get("linestyle"), kwargs.get("markerfacecolor")))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "plot", spy)
    a = _table((tmp_path / "p48").mkdir() or tmp_path / "p48" / "results.csv")
    b = _table((tmp_path / "p16").mkdir() or tmp_path / "p16" / "results.csv")
    *_, points = plot_results([a, b], tmp_path / "both", tags=["48 pilots", "16 pilots"])
    lmmse = [s for s in seen if s[0] == "lmmse"]
    assert len(lmmse) == 2
    assert lmmse[0][1:3] == lmmse[1][1:3]  # same colour and marker
    assert lmmse[0][3] != lmmse[1][3]  # another line style
    assert lmmse[0][4] != lmmse[1][4]  # another marker fill
    rows = _points(points)
    assert {r["file"] for r in rows} == {"48 pilots", "16 pilots"}
    assert "lmmse [16 pilots]" in {r["series"] for r in rows}


def test_several_files_bad_combinations_are_one_line_errors(tmp_path, runner):
    a = _table((tmp_path / "a").mkdir() or tmp_path / "a" / "results.csv")
    b = _table((tmp_path / "b").mkdir() or tmp_path / "b" / "results.csv")
    cases = [(["--tag", "only one"], "--tag: give one tag per results file (2 files), got 1"),
             (["--tag", "x", "--tag", "x"], "--tag: the tags must differ"),
             (["--x", "nope"], "--x: results.csv has no column 'nope'")]
    for extra, message in cases:
        res = runner.invoke(main, ["plot", str(a), str(b), "--out", str(tmp_path / "f"),
                                   *extra])
        assert res.exit_code == 2 and message in res.output, res.output
    assert not list(tmp_path.glob("f.*"))
    ok = runner.invoke(plot_command, [str(a), str(b), "--out", str(tmp_path / "g.png")])
    assert ok.exit_code == 0, ok.output  # default tags: the folder names
    assert {r["file"] for r in _points(tmp_path / "g.csv")} == {"a", "b"}


def _ber_table(path):
    """A hand-made link-level table: ber columns, zero errors at 20 dB, perfect-csi bound
    without NMSE."""
    cols = RESULT_COLUMNS + ["ber", "ber_lo", "ber_hi", "bit_errors", "bits", "bler",
                             "bler_lo", "bler_hi", "block_errors", "blocks"]
    rows = []
    for name, bound, errs in (("ls-linear", 0, (900, 90, 0)), ("perfect-csi", 1, (300, 3, 0))):
        for snr, e in zip((0.0, 10.0, 20.0), errs):
            bits = 100_000
            ber = e / bits
            rows.append({c: "" for c in cols} | dict(
                estimator=name, is_bound=bound, snr_db=snr, model="all", n=10, ber=ber,
                ber_lo=ber * 0.8, ber_hi=max(ber * 1.2, 3.7e-5), bit_errors=e, bits=bits)
                | ({} if bound else dict(nmse_db=-snr, nmse_db_lo=-snr - .1,
                                         nmse_db_hi=-snr + .1)))
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    return path


def test_ber_on_a_log_axis_with_zero_error_points_as_upper_bounds(tmp_path, monkeypatch):
    import matplotlib

    scales = []
    monkeypatch.setattr(matplotlib.axes.Axes, "set_yscale",
                        lambda self, v, **kw: scales.append(v))
    table = _ber_table(tmp_path / "results.csv")
    *_, points = plot_results(table, tmp_path / "ber.png", metric="ber")
    assert scales and set(scales) == {"log"}
    rows = _points(points)
    assert all(float(r["y"]) > 0 for r in rows)
    zero = [r for r in rows if r["x"] == "20"]
    assert {r["point"] for r in zero} == {"upper-bound"}
    assert float(zero[0]["y"]) == pytest.approx(3.7e-5)
    assert "perfect-csi (reference)" in {r["series"] for r in rows}
    # the NMSE figure of the same table leaves out perfect-csi (no NMSE) without failing
    *_, nmse = plot_results(table, tmp_path / "nmse.png")
    assert {r["estimator"] for r in _points(nmse)} == {"ls-linear"}
    with pytest.raises(ConfigError, match="^metric: t.csv has no column .bler."):
        plot_results(_table(tmp_path / "t.csv"), tmp_path / "x", metric="bler")


def test_error_bars_instead_of_bands(tmp_path, monkeypatch):
    import matplotlib

    bars, bands = [], []
    monkeypatch.setattr(matplotlib.axes.Axes, "errorbar", lambda self, *a, **k: bars.append(a))
    monkeypatch.setattr(matplotlib.axes.Axes, "fill_between",
                        lambda self, *a, **k: bands.append(a))
    plot_results(_table(tmp_path / "results.csv"), tmp_path / "f", ci="bars")
    assert len(bars) == 3 and not bands


def test_bler_columns_left_empty_by_an_uncoded_run_are_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="^metric: no finite 'bler' values"):
        plot_results(_ber_table(tmp_path / "results.csv"), tmp_path / "x", metric="bler")
    assert not list(tmp_path.glob("x.*"))


def _log(run, values, stages=(0,)):
    run.mkdir(parents=True)
    fields = ["stage", "stage_name", "epoch", "train_loss", "val_nmse_db", "val_score_db",
              "lr", "samples_per_s", "seconds"]
    with (run / "log.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for i, v in enumerate(values):
            st = stages[min(i * len(stages) // len(values), len(stages) - 1)]
            w.writerow(dict(stage=st, stage_name=f"s{st}", epoch=i, train_loss=0.1 / (i + 1),
                            val_nmse_db=v, val_score_db=v, lr=1e-3, samples_per_s=1,
                            seconds=1))
    return run


def test_training_curves_of_several_runs_on_one_figure(tmp_path, runner):
    from chanest.commands.plot import plot_training_command

    a = _log(tmp_path / "runs" / "cenet", [-10, -14, -15])
    b = _log(tmp_path / "runs" / "channelnet", [-5, -8, -9, -11], stages=(0, 1))
    res = runner.invoke(plot_training_command, [str(a), str(b), "--out",
                                                str(tmp_path / "curves.pdf")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "curves.pdf").read_bytes()[:5] == b"%PDF-"
    rows = _points(tmp_path / "curves.csv")
    assert [(r["series"], r["x"], r["y"]) for r in rows][:3] == [
        ("cenet", "1", "-10"), ("cenet", "2", "-14"), ("cenet", "3", "-15")]
    assert len(rows) == 7 and rows[-1]["estimator"] == "s1"
    bad = runner.invoke(plot_training_command, [str(tmp_path), "--out", str(tmp_path / "x")])
    assert bad.exit_code != 0 and "RUN_DIR: no training log at" in str(bad.exception)
    bad = runner.invoke(main, ["plot-training", str(a), "--tag", "x", "--tag", "y", "--out",
                               str(tmp_path / "x")])
    assert bad.exit_code == 2 and "--tag: give one tag per run (1 runs), got 2" in bad.output
    bad = runner.invoke(main, ["plot-training", str(a), "--out", str(tmp_path / "x.jpg")])
    assert "--out: the suffix must be one of .pdf, .png, .svg" in bad.output


@pytest.mark.parametrize("extra,message", [
    (["--tag", "one"], "Error: --tag: give one tag per results file (2 files), got 1"),
    (["--metric", "ber"], "Error: --metric: results.csv has no column 'ber' (evaluate "
                          "--metric ber writes it)"),
    (["--x", "speed"], "Error: --x: results.csv has no column 'speed'"),
    (["--estimators", "nope"], "Error: --estimators: 'nope' is not in the table"),
])
def test_bad_plot_combinations_exit_2_in_one_line_writing_nothing(runner, tmp_path, extra,
                                                                  message):
    from tests.test_cli import run

    a = _table((tmp_path / "a").mkdir() or tmp_path / "a" / "results.csv")
    b = _table((tmp_path / "b").mkdir() or tmp_path / "b" / "results.csv")
    res = run(runner, "plot", a, b, "--out", tmp_path / "fig", *extra)
    assert res.exit_code == 2
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(message), lines
    assert not list(tmp_path.glob("fig*"))


def test_training_runs_of_one_group_share_colour_and_differ_by_line_style(tmp_path,
                                                                           monkeypatch):
    import matplotlib

    from chanest.plots.training import plot_training

    seen = []
    original = matplotlib.axes.Axes.plot

    def spy(self, *args, **kwargs):
        seen.append((kwargs.get("label"), kwargs.get("color"), kwargs.get("linestyle")))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "plot", spy)
    runs = [_log(tmp_path / n, [-3, -5]) for n in ("cenet-p48", "cenet-p16", "reesnet-p48")]
    plot_training(runs, tmp_path / "t.png", groups=["cenet", "cenet", "reesnet"])
    style = {label: (colour, line) for label, colour, line in seen}
    assert style["cenet-p48"][0] == style["cenet-p16"][0] != style["reesnet-p48"][0]
    assert style["cenet-p48"][1] != style["cenet-p16"][1]
