"""Figures read each row's role from the results table (old tables: the catalog's role), and
every estimator of a figure has a look of its own."""

import csv

import pytest

from chanest.evaluation.results import RESULT_COLUMNS, EvaluationResult, row_role
from chanest.plots.results import plot_results, read_results
from chanest.plots.style import _FIXED, _NEURAL, FigureStyles
from chanest.schema import ConfigError


def _write(path, rows, columns=RESULT_COLUMNS):
    """A results table of ``rows`` (estimator, is_bound, role) at 0/10/20 dB."""
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        for i, (name, bound, role) in enumerate(rows):
            for snr in (0.0, 10.0, 20.0):
                v = -snr - i
                w.writerow({c: "" for c in columns} | dict(
                    estimator=name, is_bound=bound, role=role, snr_db=snr, model="all", n=10,
                    mse_db=v, nmse_db=v, nmse_db_lo=v - .1, nmse_db_hi=v + .1))
    return path


def _drawn(monkeypatch):
    """{legend label: plot keyword arguments} of what plot_results draws."""
    import matplotlib.axes

    drawn = {}
    original = matplotlib.axes.Axes.plot

    def spy(self, *args, **kwargs):
        drawn[kwargs.get("label")] = kwargs
        return original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "plot", spy)
    return drawn


def test_row_role_claims_a_bound_only_where_the_catalog_and_the_instance_agree():
    assert row_role("genie-lmmse", True) == "bound"
    assert row_role("genie-lmmse", False) == "reference"  # an instance that downgraded itself
    assert row_role("perfect-csi", True) == "reference"  # recorded as a bound, not in the catalog
    assert row_role("lmmse", False) == row_role("ckpt:runs/x/best", False) == "practical"
    assert row_role("sionna-ls", False) == "practical"


def test_results_fill_the_role_column_of_their_rows():
    rows = [{"estimator": "genie-lmmse", "is_bound": True},
            {"estimator": "perfect-csi", "is_bound": True},
            {"estimator": "lmmse", "is_bound": False, "role": "reference"}]
    result = EvaluationResult(rows, [], {})
    assert [r["role"] for r in result.rows] == ["bound", "reference", "reference"]
    other = EvaluationResult([{"estimator": "lmmse", "is_bound": False}], [], {},
                             columns=["estimator", "is_bound"])
    assert "role" not in other.rows[0]  # a table without the column gets none


def test_the_role_is_read_from_the_table_not_from_the_name(tmp_path, monkeypatch):
    drawn = _drawn(monkeypatch)
    table = _write(tmp_path / "results.csv", [("genie-lmmse", False, "reference"),
                                              ("my-oracle", True, "bound"),
                                              ("genie-free", False, "practical"),
                                              ("lmmse", False, "reference")])
    assert [r["role"] for r in read_results(table)][::3] == ["reference", "bound", "practical",
                                                             "reference"]
    plot_results(table, tmp_path / "fig")
    assert set(drawn) == {"genie-lmmse (reference)", "my-oracle (bound)", "genie-free",
                          "lmmse (reference)"}
    assert drawn["genie-lmmse (reference)"]["linestyle"] == "-."
    assert drawn["my-oracle (bound)"]["linestyle"] == "--"
    assert drawn["my-oracle (bound)"]["color"] == "black"
    assert drawn["genie-free"]["color"] != "black"


def test_tables_without_a_role_column_take_the_catalog_role(tmp_path, monkeypatch):
    drawn = _drawn(monkeypatch)
    columns = [c for c in RESULT_COLUMNS if c != "role"]
    table = _write(tmp_path / "results.csv", [("genie-lmmse", True, None),
                                              ("perfect-csi", True, None),
                                              ("ls-linear", False, None)], columns)
    assert [r["role"] for r in read_results(table)][::3] == ["bound", "reference", "practical"]
    plot_results(table, tmp_path / "fig")
    assert set(drawn) == {"genie-lmmse (bound)", "perfect-csi (reference)", "ls-linear"}
    assert drawn["perfect-csi (reference)"]["linestyle"] == "--"  # its own reference look


def test_an_unknown_role_is_a_one_line_error(tmp_path):
    table = _write(tmp_path / "results.csv", [("lmmse", False, "oracle")])
    with pytest.raises(ConfigError, match="^RESULTS_CSV: results.csv line 2: role must be one "
                                          "of practical, reference, bound, got 'oracle'$"):
        read_results(table)


def _look(style):
    return style["color"], style["marker"], str(style["linestyle"])


def test_names_without_a_fixed_look_get_distinct_looks_of_their_own():
    names = [f"estimator-{i}" for i in range(30)]
    styles = FigureStyles([*_FIXED, "ckpt:runs/a/best", "pretrained:cenet-nr-dmrs", *names])
    looks = [_look(styles.of(n, "practical")) for n in names]
    assert len(set(looks)) == len(names)
    named = {c for c, _, _ in _FIXED.values()} | {c for c, _, _ in _NEURAL} | {"black"}
    assert not {colour for colour, _, _ in looks} & named
    networks = [_look(styles.of(n, "practical")) for n in ("ckpt:runs/a/best",
                                                            "pretrained:cenet-nr-dmrs")]
    assert networks == [tuple(map(str, _NEURAL[0])), tuple(map(str, _NEURAL[1]))]


def test_a_name_keeps_its_look_from_figure_to_figure():
    alone = FigureStyles(["my-estimator"]).of("my-estimator", "practical")
    assert alone == FigureStyles(["lmmse", "my-estimator"]).of("my-estimator", "practical")
    assert alone == FigureStyles([]).of("my-estimator", "practical")
    assert alone["color"] not in {c for c, _, _ in _FIXED.values()}


def test_up_to_eleven_names_without_a_fixed_look_get_eleven_colours():
    """Colour first: a figure of the zoo's networks (names, not checkpoints) tells them apart
    by colour, markers and lines only where there are more names than colours."""
    names = ["channelnet", "reesnet", "cenet", "inreesnet", "attention", "mtre", "ddae",
             "score", "cenet-lmmse", "ddae-lmmse", "score-lmmse"]
    styles = FigureStyles(names)
    assert len({styles.of(n, "practical")["color"] for n in names}) == len(names)
