"""plot: PDF and PNG from a results table, bounds dashed and labelled."""

import csv

import pytest

from chanest.commands.plot import plot_command
from chanest.config import ConfigError
from chanest.evaluate import RESULT_COLUMNS
from chanest.plot import plot_results, read_results


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
    assert [p.name for p in paths] == ["nmse.pdf", "nmse.png"]
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
    with pytest.raises(ConfigError, match="--model: 'zz' is not in the table"):
        plot_results(table, tmp_path / "f", model="zz")
    with pytest.raises(ConfigError, match="--metric"):
        plot_results(table, tmp_path / "f", metric="ber")


def test_cli(tmp_path, runner):
    table = _table(tmp_path / "results.csv")
    res = runner.invoke(plot_command, [str(table), "--out", str(tmp_path / "fig")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "fig.pdf").is_file() and (tmp_path / "fig.png").is_file()
    assert "fig.png" in res.output


def test_checkpoint_legend_names():
    from chanest.plot import display_name

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
    bad = runner.invoke(plot_command, [str(table), "--out", str(tmp_path / "f.png"),
                                       "--estimators", "nope"])
    assert bad.exit_code != 0 and "--estimators: 'nope' is not in the table" in str(
        bad.exception)
    bad = runner.invoke(plot_command, [str(table), "--out", str(tmp_path / "f.png"),
                                       "--label", "oops"])
    assert bad.exit_code != 0 and "expected NAME=LABEL" in str(bad.exception)
