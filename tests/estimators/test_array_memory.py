"""Working memory on large arrays: Sionna's LMMSE passes applied in slices give the whole
grid's result, and 64 antennas x 624x14 evaluate under a small --memory-gb budget with
lmmse-kron, genie-paths and lmmse-sionna (no dense (A·S·F)² matrix; Sionna's unsliced
per-antenna filters alone would take about 14 GB per grid)."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.data.writer import DatasetWriter
from chanest.estimators.base import Observation, estimate_bounded
from chanest.estimators.registry import build_estimator
from chanest.estimators.sionna_lmmse import SlicedPass

pytest.importorskip("sionna.phy")

REPO = Path(__file__).resolve().parents[2]


def _ula(a: int, grid: dict, **extra) -> dict:
    return {"seed": 4, "grid": grid, "pilots": {"pattern": "block", "symbols": [2, 11]},
            "channel": {"model": "cdl", "profile": "C", "delay_spread_ns": [100, 100],
                        "speed_mps": [3, 3], "array": {"type": "ula", "columns": a}, **extra},
            "noise": {"snr_db": [0, 20]}}


@pytest.mark.parametrize("order", ["t-f-s", "s-f-t"])
def test_sionna_lmmse_in_slices_under_a_tiny_budget_equals_the_whole_grid(order):
    scn = parse_config(_ula(4, {"num_subcarriers": 48, "num_symbols": 14,
                                "subcarrier_spacing": 30000, "carrier_frequency": 3.5e9}),
                       source="ula4")
    sim = Simulator(scn)
    batch = sim.generate(3)
    from chanest.data.context import context_from_simulator

    ctx = context_from_simulator(sim)
    obs = Observation(batch.y, batch.no)
    whole = build_estimator("lmmse-sionna", ctx, order=order).estimate(obs)
    est = build_estimator("lmmse-sionna", ctx, order=order)
    sliced = estimate_bounded(est, obs, 2e5)  # bytes: far below one grid's filters
    passes = est._sionna[1]._filters
    assert all(isinstance(p, SlicedPass) and p.slices_used > 1 for p in passes)
    # float32 batched solves: slices round differently in the last bits
    torch.testing.assert_close(sliced.h_hat, whole.h_hat, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(sliced.err_var, whole.err_var, rtol=1e-4, atol=1e-5)


@pytest.mark.slow  # minutes: Sionna's filters for 64 antennas at 624 subcarriers (one grid)
def test_64_antennas_at_624x14_evaluate_within_a_one_gb_budget(tmp_path):
    scn = _ula(64, {"preset": "nr-624x14"}, paths=True)
    scn.update(noise={"snr_db": [10]}, chunk_size=1)
    path = tmp_path / "ula64.h5"
    DatasetWriter(path, Simulator(parse_config(scn, source="ula64")), 1).run()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    for name in ("lmmse-kron", "genie-paths", "lmmse-sionna"):
        res = subprocess.run(
            [sys.executable, str(REPO / "cli.py"), "evaluate", "--data", str(path),
             "--fit-data", str(path), "--estimators", name, "--memory-gb", "1", "--device",
             "cpu", "-q", "-o", str(tmp_path / name)],
            cwd=REPO, capture_output=True, text=True, timeout=3600)
        assert res.returncode == 0, res.stderr[-2000:]
    peak_gb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 2**20
    assert peak_gb < 3.0  # 1 GB of working memory + data, torch and Sionna
