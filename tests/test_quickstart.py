"""quickstart: one command from nothing to a results table and a figure."""

import csv

from tests.test_cli import run


def test_quickstart_writes_results_and_figure_and_refuses_to_clobber(runner, tmp_path):
    out = tmp_path / "qs"
    res = run(runner, "quickstart", "--out", out, "-n", 70, "-q", "--device", "cpu")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(open(out / "results.csv")))
    names = {r["estimator"] for r in rows}
    assert names == {"ls-linear", "lmmse-robust", "lmmse-adaptive", "lmmse",
                     "pretrained:cenet-lte-mixture", "genie-lmmse"}
    assert {float(r["snr_db"]) for r in rows} == {0, 5, 10, 15, 20, 25, 30}
    for name in ("nmse.pdf", "nmse.png", "paired.csv", "results.json", "test.h5"):
        assert (out / name).stat().st_size > 0
    assert f"figure: {out / 'nmse.pdf'}" in res.output
    before = (out / "results.csv").read_bytes()
    again = run(runner, "quickstart", "--out", out, "-n", 70, "-q")
    assert again.exit_code == 2 and "--overwrite" in again.stderr
    assert (out / "results.csv").read_bytes() == before
