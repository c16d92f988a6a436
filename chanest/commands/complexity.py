"""``complexity``: parameters, counted MACs, latency and throughput of every estimator."""

from __future__ import annotations

import csv
from dataclasses import asdict
from pathlib import Path

import click

from chanest.commands.options import device_option
from chanest.fileio import atomic_write
from chanest.schema import ConfigError

__all__ = ["complexity_command", "GRIDS"]

#: grid label → (scenario, large batch)
GRIDS = {
    "72x14": ({"pilots": {"pattern": "channelnet-48"}}, 256),
    "624x14": ({"grid": {"preset": "nr-624x14"},
                "pilots": {"pattern": "dmrs", "config_type": 1, "additional_position": 1},
                "channel": {"models": [{"model": "tdl", "profile": "C",
                                        "delay_spread_ns": [10, 300], "doppler_hz": [5, 400]}]}},
               32),
}


def _candidates(ctx, names, architectures: bool):
    """(label, estimator) pairs: registry names, shipped models that fit this layout, and
    untrained instances of every architecture (complexity does not depend on weights)."""
    import numpy as np

    from chanest.estimators.neural import NeuralEstimator
    from chanest.estimators.registry import REGISTRY, build_estimator, parse_name, role_of
    from chanest.models import MODELS, build_model, model_spec
    from chanest.pretrained import available

    names = names or [n for n in REGISTRY if role_of(n) == "practical"] + \
        [f"pretrained:{p}" for p in available()]
    for name in names:
        try:
            yield name, build_estimator(name, ctx)
        except ConfigError as err:
            if parse_name(name).kind != "pretrained":
                raise
            msg = str(err).removeprefix(f"{name}:").strip()
            click.echo(f"  skipped {name}: {msg}", err=True)
    if architectures:
        err_map = (np.array([0.0]), np.full((1, *ctx.mask.shape), 0.1, np.float32))
        for arch in MODELS:
            model = build_model(arch, **model_spec(arch, {}, ctx.mask)["kwargs"])
            yield f"{arch} (architecture)", NeuralEstimator(ctx, model, err_map=err_map)


@click.command("complexity")
@click.option("--grids", default="72x14,624x14", show_default=True,
              help=f"Comma-separated grid sizes from: {', '.join(GRIDS)}.")
@click.option("--estimators", default=None,
              help="Comma-separated names (default: every receiver, i.e. every practical "
                   "estimator, and the shipped models that fit each grid).")
@click.option("--architectures/--no-architectures", default=True, show_default=True,
              help="Also report each network architecture with default settings, untrained.")
@click.option("--out", "-o", default="results/complexity.csv", show_default=True,
              type=click.Path(dir_okay=False), help="CSV of the table.")
@click.option("--seconds", type=click.FloatRange(min=0.0), default=1.0, show_default=True,
              help="Minimum timing per measurement.")
@device_option
def complexity_command(grids, estimators, architectures, out, seconds, device):
    """Parameters, real MACs per grid (counted), latency at batch 1 and throughput at a
    large batch, for every estimator on each grid."""
    from chanest.data.context import context_from_simulator
    from chanest.data.scenario import parse_config
    from chanest.data.simulate import Simulator
    from chanest.device import resolve_device
    from chanest.estimators.registry import parse_estimator_names
    from chanest.evaluation.complexity import COLUMNS, measure

    labels = [g.strip() for g in grids.split(",") if g.strip()]
    bad = [g for g in labels if g not in GRIDS]
    if bad or not labels:
        raise ConfigError(f"--grids: must be from {', '.join(GRIDS)}, got {grids!r}")
    names = parse_estimator_names(estimators) if estimators else None
    dev = resolve_device(device)
    rows = []
    click.echo(f"{'grid':<7} {'estimator':<32} {'params':>8} {'MACs/grid':>11} "
               f"{'latency ms':>10} {'grids/s':>9}")
    for label in labels:
        scenario, batch = GRIDS[label]
        sim = Simulator(parse_config({**scenario, "seed": 1, "noise": {"snr_db": [0, 10, 20, 30]}}),
                        device=dev)
        ctx, sample = context_from_simulator(sim), sim.generate(8)
        for name, est in _candidates(ctx, names, architectures):
            row = measure(est, name, label, sample.y, sample.no, batch, seconds)
            rows.append(row)
            click.echo(f"{label:<7} {name:<32} {row.parameters:>8,} {row.macs_per_grid:>11.3e} "
                       f"{row.latency_ms:>10.3g} {row.throughput_grids_per_s:>9.4g}")
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(asdict(r) for r in rows)
    click.echo(f"wrote {path}")
