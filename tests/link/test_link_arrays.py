"""BER/BLER on receive-array data with spatial estimators: lmmse-kron fitted on training
grids and the genie-paths reference run inside the link chain (Sionna's LMMSE equalizer
combines the antennas), and the estimators keep their NMSE order in BER."""

from __future__ import annotations

import pytest

from chanest.data.dataset import open_dataset
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.data.writer import DatasetWriter
from chanest.link.evaluate import PERFECT_CSI, evaluate_link

pytest.importorskip("sionna.phy")


def _ula(tmp_path, name, n, seed, snrs):
    """A CDL-C scenario to a 4-element ULA with stored rays: ``n`` grids in ``name``.h5."""
    scn = parse_config({"seed": seed, "chunk_size": 16,
                        "grid": {"num_subcarriers": 48, "num_symbols": 14,
                                 "subcarrier_spacing": 30000, "carrier_frequency": 3.5e9},
                        "pilots": {"pattern": "block", "symbols": [2, 11]},
                        "channel": {"model": "cdl", "profile": "C", "delay_spread_ns": [300, 300],
                                    "speed_mps": [3, 3], "array": {"type": "ula", "columns": 4},
                                    "paths": True},
                        "noise": {"snr_db": snrs}}, source=name)
    path = tmp_path / f"{name}.h5"
    DatasetWriter(path, Simulator(scn), n).run()
    return path


def test_spatial_estimators_run_in_the_link_chain_and_keep_their_nmse_order_in_ber(tmp_path):
    test = _ula(tmp_path, "test", 32, 5, [-8])
    fit = _ula(tmp_path, "fit", 128, 6, [-8])
    names = ["ls-linear", "lmmse-adaptive", "lmmse-kron", "genie-paths"]
    with open_dataset(test) as data, open_dataset(fit) as train:
        res = evaluate_link(data, names, "ber", min_errors=10**9, fit_dataset=train,
                            progress=False)
        coded = evaluate_link(data, ["lmmse-kron", "genie-paths"], "bler", code_rate=0.5,
                              min_errors=10**9, max_grids=8, fit_dataset=train,
                              progress=False)
    row = {r["estimator"]: r for r in res.rows}
    assert set(row) == {*names, PERFECT_CSI} and all(r["n"] == 32 for r in row.values())
    assert row["lmmse-kron"]["nmse_db"] < row["lmmse-adaptive"]["nmse_db"] \
        < row["ls-linear"]["nmse_db"]
    # paired on the same bits and noise: a better estimate, fewer bit errors
    ber = {n: r["ber"] for n, r in row.items()}
    assert ber[PERFECT_CSI] < ber["genie-paths"] < ber["ls-linear"]
    assert ber["lmmse-kron"] < ber["ls-linear"]
    blocks = {r["estimator"]: r for r in coded.rows}
    assert {r["blocks"] for r in blocks.values()} == {8}
    assert res.provenance["estimators"][2]["statistics"].startswith(
        "R_s: sample spatial covariance")
