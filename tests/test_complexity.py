"""complexity: MACs counted from the executed ops equal the closed-form counts of the
layers and filters; the CLI writes the CSV."""

from __future__ import annotations

import csv

import numpy as np
import torch
from click.testing import CliRunner
from torch import nn

from chanest.cli import main
from chanest.data.context import context_from_simulator
from chanest.data.scenario import Scenario
from chanest.data.simulate import Simulator
from chanest.estimators.base import Observation
from chanest.estimators.neural import NeuralEstimator
from chanest.estimators.registry import build_estimator
from chanest.evaluation.complexity import MacCounter, count_macs
from chanest.models import build_model
from tests.stored import Stored


def test_counter_counts_real_and_complex_products_and_convolutions_exactly():
    a, b = torch.randn(5, 7), torch.randn(7, 3)
    conv = nn.Conv2d(4, 6, 3, padding=1)
    with MacCounter() as c:
        a @ b
        a.to(torch.complex64) @ b.to(torch.complex64)
        torch.bmm(torch.randn(2, 5, 7), torch.randn(2, 7, 3))
        conv(torch.randn(2, 4, 8, 9))
    assert c.macs == 105 + 4 * 105 + 2 * 105 + (2 * 6 * 8 * 9) * 4 * 9


def test_estimator_macs_equal_the_filter_and_layer_shapes():
    sim = Simulator(Scenario())
    ctx, batch = context_from_simulator(sim), sim.generate(4)
    N, P = ctx.mask.size, int(ctx.mask.sum())
    assert count_macs(build_estimator("ls-linear", ctx), batch.y, batch.no) == 4 * N * P
    model = build_model("cenet", channels=8, blocks=2)
    est = NeuralEstimator(ctx, model, err_map=(np.zeros(1), np.ones((1, *ctx.mask.shape))))
    convs = sum(m.out_channels * m.in_channels * m.kernel_size[0] * m.kernel_size[1]
                for m in model.modules() if isinstance(m, nn.Conv2d)) * N
    assert count_macs(est, batch.y, batch.no) == 4 * N * P + convs  # interpolation + net


def test_cli_writes_one_row_per_estimator_with_counted_macs(tmp_path):
    out = tmp_path / "c.csv"
    r = CliRunner().invoke(main, ["complexity", "--grids", "72x14", "--estimators",
                                  "ls-linear,lmmse", "--no-architectures", "--seconds", "0",
                                  "--out", str(out)])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(out.open()))
    assert [row["estimator"] for row in rows] == ["ls-linear", "lmmse"]
    assert rows[0]["macs_per_grid"] == str(4 * 1008 * 48) and float(rows[0]["latency_ms"]) > 0
    bad = CliRunner().invoke(main, ["complexity", "--grids", "100x7"])
    assert bad.exit_code == 2 and "--grids" in bad.output


def _hermitian(batch, n, dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(batch, n, n, generator=g, dtype=dtype)
    return a @ a.mH + n * torch.eye(n, dtype=dtype)


def test_factorizations_and_solves_are_counted_by_their_standard_operation_counts():
    """Per matrix: Cholesky n³/6 MACs (n³/3 flops), a triangular solve n²/2 per right-hand
    side, eigh with eigenvectors 9n³/2 (9n³ flops); complex MACs are 4 real ones."""
    n, k = 30, 5
    a = _hermitian(3, n, torch.complex64)
    with MacCounter() as chol:
        low = torch.linalg.cholesky(a)
    assert chol.macs == 3 * 4 * n**3 // 6
    with MacCounter() as tri:
        torch.linalg.solve_triangular(low, torch.ones(3, n, k, dtype=a.dtype), upper=False)
    assert tri.macs == 3 * 4 * n**2 * k // 2
    real = _hermitian(1, n, torch.float64)
    with MacCounter() as eig:
        torch.linalg.eigh(real)
    assert eig.macs == 9 * n**3 // 2 and not eig.uncounted
    with MacCounter() as general:
        torch.linalg.eig(real)
    assert general.macs == 0 and general.uncounted == {"linalg_eig"}


def test_every_receiver_runs_only_counted_linear_algebra():
    """No registered practical estimator executes a factorization the counter has no rule
    for (lmmse-sionna's Cholesky and triangular solves are counted)."""
    from chanest.estimators.registry import REGISTRY

    sim = Simulator(Scenario())
    ctx, batch = context_from_simulator(sim), sim.generate(4)
    for name in [n for n, e in REGISTRY.items() if e.role == "practical"]:
        est = build_estimator(name, ctx)
        if REGISTRY[name].needs_fit:
            est.fit(Stored(batch))
        obs = Observation(batch.y, batch.no)
        est.estimate(obs)
        with MacCounter() as counter:
            est.estimate(obs)
        assert not counter.uncounted, name
