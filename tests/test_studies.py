"""Study scripts in their tiny mode: they run end to end, write what they promise, and
resume instead of redoing finished work."""

import csv
import math
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(script, *args):
    res = subprocess.run([sys.executable, str(REPO / "sims" / script), *args], cwd=REPO,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


def test_generalization_study_writes_the_gap_matrix_and_resumes(tmp_path):
    out = tmp_path / "gen"
    _run("generalization.py", "--tiny", "--out", str(out))
    rows = list(csv.DictReader(open(out / "results.csv")))
    tests = {r["test"] for r in rows}
    assert tests == {"classic", "tdl", "cdl"}  # two training families + a held-out one
    methods = {(r["method"], r["trained_on"]) for r in rows}
    for fam in ("classic", "tdl"):
        assert {("cenet", fam), ("lmmse-nominal", fam), ("lmmse-fit", fam)} <= methods
    assert {("lmmse-adaptive", ""), ("lmmse-robust", ""), ("genie-lmmse", "")} <= methods
    for r in rows:
        assert math.isfinite(float(r["gap_db"]))
        if r["method"] == "genie-lmmse":
            assert float(r["gap_db"]) == 0.0
    for name in ("gap_0dB.csv", "gap_30dB.csv", "heatmap.pdf", "heatmap.png"):
        assert (out / name).stat().st_size > 0
    again = _run("generalization.py", "--tiny", "--out", str(out))
    assert again.count("finished, skipped") == 2 and again.count("skipped") == 5


def test_pretrained_evaluation_tables_every_shipped_model(tmp_path):
    from chanest.pretrained import available

    _run("pretrained_eval.py", "--tiny", "--out", str(tmp_path))
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert {r["model"] for r in rows} == set(available())
    md = (tmp_path / "results.md").read_text()
    for name in available():
        assert f"pretrained:{name}" in md
