"""BER/BLER evaluation: perfect-CSI QPSK BER against the Rayleigh closed form, the
stopping rule, coded vs uncoded, the results columns, and the interval helpers."""

from __future__ import annotations

import csv
import json
from math import comb, sqrt

import numpy as np
import pytest

from chanest.cli import main
from chanest.data.dataset import open_dataset
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.data.writer import DatasetWriter
from chanest.link.evaluate import LINK_COLUMNS, PERFECT_CSI, evaluate_link
from chanest.link.intervals import clustered_rate, wilson


def _dataset(tmp_path, name, n, snrs, num_rx=1, seed=3):
    scn = parse_config({"seed": seed, "chunk_size": 64, "pilots": {"pattern": "channelnet-48"},
                        "channel": {"num_rx_antennas": num_rx, "models": [
                            {"model": "pdp", "profile": "ETU", "speed_mps": 30}]},
                        "noise": {"snr_db": snrs}})
    path = tmp_path / f"{name}.h5"
    DatasetWriter(path, Simulator(scn), n).run()
    return open_dataset(path)


def rayleigh_qpsk_ber(snr_db: float, branches: int) -> float:
    """Gray QPSK with maximal-ratio combining of i.i.d. Rayleigh branches, E|h|^2 = 1,
    Es/N0 = SNR: Proakis (14.4-15) with per-bit gamma = SNR/2."""
    g = 10 ** (snr_db / 10) / 2
    mu = sqrt(g / (1 + g))
    return ((1 - mu) / 2) ** branches * sum(comb(branches - 1 + k, k) * ((1 + mu) / 2) ** k
                                            for k in range(branches))


@pytest.mark.parametrize("branches", [1, 2])
def test_perfect_csi_qpsk_ber_matches_the_rayleigh_closed_form_per_resource_element(
        tmp_path, branches):
    # ETU at 30 m/s: every RE's channel is CN(0, 1); grids give many nearly independent REs
    data = _dataset(tmp_path, f"etu{branches}", 768, [0, 8], num_rx=branches)
    res = evaluate_link(data, ["ls-nearest"], "ber", min_errors=10**9, progress=False)
    for row in (r for r in res.rows if r["estimator"] == PERFECT_CSI):
        theory = rayleigh_qpsk_ber(row["snr_db"], branches)
        assert row["ber_lo"] <= theory <= row["ber_hi"], (row, theory)
        assert row["ber_hi"] / row["ber_lo"] < 1.5  # the check has power


def test_each_snr_stops_at_min_errors_or_max_grids_and_rows_hold_link_columns(tmp_path):
    data = _dataset(tmp_path, "stop", 256, [0, 30])
    res = evaluate_link(data, ["ls-linear", "lmmse"], "ber", min_errors=1, batch_size=32,
                        progress=False)
    used = {r["snr_db"]: r["n"] for r in res.rows if r["estimator"] == "ls-linear"}
    assert used[0] == 16  # the first batch of 32 holds 16 grids at 0 dB: enough errors
    capped = evaluate_link(data, ["ls-linear"], "ber", min_errors=10**9, max_grids=40,
                           batch_size=32, progress=False)
    assert {r["n"] for r in capped.rows} == {40}
    names = [r["estimator"] for r in res.rows]
    assert names.count(PERFECT_CSI) == 2 and set(LINK_COLUMNS) <= set(res.columns)
    for row in res.rows:
        assert row["bits"] == row["n"] * 960 * 2 and row["ber_lo"] <= row["ber"] <= row["ber_hi"]
    per = {(r["estimator"], r["snr_db"]): r["ber"] for r in res.rows}
    assert per[(PERFECT_CSI, 0)] <= per[("lmmse", 0)] <= per[("ls-linear", 0)]


def test_transport_block_information_bits_have_fewer_errors_than_uncoded_bits(tmp_path):
    data = _dataset(tmp_path, "code", 96, [12])
    unc = evaluate_link(data, ["lmmse"], "ber", min_errors=10**9, progress=False)
    cod = evaluate_link(data, ["lmmse"], "bler", code_rate=0.5, min_errors=10**9,
                        progress=False)
    row = {r["estimator"]: r for r in cod.rows}
    # 38.214 size of a transport block in 1920 coded bits at rate 1/2: 984 (+ 16 CRC bits)
    assert row["lmmse"]["bits"] == 96 * 984
    assert row["lmmse"]["ber"] < 0.3 * {r["estimator"]: r for r in unc.rows}["lmmse"]["ber"]
    assert row[PERFECT_CSI]["bler"] <= row["lmmse"]["bler"] < 1
    link = cod.provenance["link"]
    assert (link["code_blocks_per_transport_block"], link["tb_crc_bits"]) == (1, 16)


def test_wilson_interval_covers_the_true_rate_about_95_percent_and_handles_zero_errors():
    rng = np.random.default_rng(0)
    hits = sum(lo <= 0.02 <= hi for _, lo, hi in
               (wilson(rng.binomial(400, 0.02), 400) for _ in range(2000)))
    assert 0.92 < hits / 2000 < 0.98
    rate, lo, hi = wilson(0, 1000)
    assert rate == 0 and lo == 0 and 0 < hi < 0.005


def test_clustered_errors_widen_the_interval_beyond_the_binomial_one():
    spread = np.array([0, 0, 0, 40, 0, 0, 0, 40] * 8)  # errors concentrated in few grids
    even = np.full(64, 10)
    wide, narrow = clustered_rate(spread, 1000), clustered_rate(even, 1000)
    assert wide[0] == narrow[0] == 0.01
    assert wide[2] - wide[1] > 2 * (narrow[2] - narrow[1])


def test_cli_ber_writes_the_link_columns_and_provenance(tmp_path, runner):
    _dataset(tmp_path, "cli", 64, [10])
    out = tmp_path / "res"
    r = runner.invoke(main, ["evaluate", "--data", str(tmp_path / "cli.h5"), "--out", str(out),
                    "--estimators", "ls-linear", "--metric", "ber", "--max-grids", "32", "-q"])
    assert r.exit_code == 0, r.output
    assert "BER, model pdp-ETU" in r.output and PERFECT_CSI in r.output
    with (out / "results.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert {row["estimator"] for row in rows} == {"ls-linear", PERFECT_CSI}
    assert all(row["modulation"] == "qpsk" and row["n"] == "32" for row in rows)
    assert json.loads((out / "results.json").read_text())["link"]["max_grids"] == 32
    bad = runner.invoke(main, ["evaluate", "--data", str(tmp_path / "cli.h5"),
                               "--out", str(out / "x"),
                      "--metric", "bler", "--code-rate", "0.99"])
    assert bad.exit_code == 2 and "--code-rate" in bad.output and "Traceback" not in bad.output
