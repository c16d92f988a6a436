"""``inspect``: summary of a dataset (shapes, SNRs, parameter ranges, power)."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from chanest.data.dataset import open_dataset
from chanest.schema import ConfigError


def _histogram(values: np.ndarray) -> list[str]:
    distinct = np.unique(values)
    if len(distinct) <= 16:
        return [f"{v:7.2f} dB: {np.sum(values == v)}" for v in distinct]
    counts, edges = np.histogram(values, bins=10)
    return [f"[{lo:6.1f}, {hi:6.1f}) dB: {c}" for c, lo, hi in zip(counts, edges, edges[1:])]


@click.command("inspect")
@click.argument("files", nargs=-1, required=True)
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help="Write a figure of |H| [dB] of one grid with the pilots marked (FIG.pdf, "
                   ".svg or .png by suffix; no suffix: PDF and PNG).")
@click.option("--estimator", default=None, metavar="NAME",
              help="With --plot: add panels for this estimator's |Ĥ| and its error "
                   "|Ĥ − H| (see `evaluate --list-estimators`).")
@click.option("--sample", type=click.IntRange(min=0), default=0, show_default=True,
              help="Grid shown by --plot.")
@click.option("--power-samples", type=click.IntRange(min=1), default=10_000,
              show_default=True, help="Grids used to measure the average channel power.")
def inspect_command(files, plot_path, estimator, sample, power_samples):
    """Summarise a dataset (one file, several shards, or a glob)."""
    with open_dataset(list(files)) as ds:
        a, sc = ds.attrs, ds.scenario
        n = len(ds)
        if estimator and not plot_path:
            raise ConfigError("--estimator: only used with --plot FIG")
        if sample >= n:
            raise ConfigError(f"--sample: must be < {n} (grids in the dataset), got {sample}")
        head = ds.read(0, 1)
        click.echo(f"files: {', '.join(str(p) for p in ds.paths)}")
        click.echo(f"schema {a['schema']} v{a['schema_version']}, chanest "
                   f"{a.get('chanest_version')}, sionna {a.get('sionna_version')}, "
                   f"created {a.get('created')}, simulated on {a.get('device_type')}")
        click.echo(f"seed {sc.seed}, chunk_size {sc.chunk_size}, samples "
                   f"{', '.join(f'[{lo}, {hi})' for lo, hi in ds.sample_ranges)} of "
                   f"{a['num_samples_total']}")
        click.echo(f"h: [{n}, {', '.join(map(str, head.h.shape[1:]))}] complex64   "
                   f"y: [{n}, {', '.join(map(str, head.y.shape[1:]))}] complex64")
        g = sc.grid
        click.echo(f"grid: {g.num_subcarriers} x {g.num_symbols}, "
                   f"{g.subcarrier_spacing / 1e3:g} kHz, fc {g.carrier_frequency / 1e9:g} GHz; "
                   f"pilots: {sc.pilots.pattern} ({int(ds.mask.sum())})")
        if sc.users is not None:
            u = sc.users
            click.echo(f"users: {u.count} (h holds user u's antennas at links u·A…u·A+A-1), "
                       f"{u.count // u.per_set} RE sets shifted by {u.shift.symbols} symbols "
                       f"and {u.shift.subcarriers} subcarriers, cover {u.cover.frequency} "
                       f"(frequency) x {u.cover.time} (time); LS values per user: "
                       f"{int(ds.users.users[0].mask.sum())}")
        params = {name: ds.column(name)
                  for name in ("snr_db", "model", "delay_spread", "doppler", "speed")}
        click.echo("models:")
        for i, label in enumerate(ds.labels):
            sel = params["model"] == i
            if not sel.any():
                click.echo(f"  {label}: 0 grids")
                continue
            ds_ns, fd = params["delay_spread"][sel] * 1e9, params["doppler"][sel]
            click.echo(f"  {label}: {int(sel.sum())} grids, delay spread "
                       f"{ds_ns.min():.1f}–{ds_ns.max():.1f} ns, Doppler {fd.min():.1f}–"
                       f"{fd.max():.1f} Hz, speed {params['speed'][sel].min():.1f}–"
                       f"{params['speed'][sel].max():.1f} m/s")
        click.echo("SNR histogram:")
        for line in _histogram(params["snr_db"]):
            click.echo(f"  {line}")
        m = min(power_samples, n)
        power = float(np.mean(np.abs(ds.read(0, m).h.numpy()) ** 2))
        click.echo(f"measured E|h|^2 over {m} grids: {power:.4f} "
                   f"({10 * np.log10(power):+.3f} dB)")
        if plot_path:
            from chanest.plots.grid import plot_grid
            from chanest.schema import argument_named

            b = ds.read(sample, sample + 1)
            who = "" if sc.users is None else ", user 0, antenna 0"
            title = (f"sample {sample}{who}: {ds.labels[int(b.model[0])]}, SNR "
                     f"{float(b.snr_db[0]):.1f} dB, max. Doppler {float(b.doppler[0]):.0f} Hz, "
                     f"RMS delay spread {float(b.delay_spread[0]) * 1e9:.0f} ns")
            h_hat = None
            if estimator:
                from chanest.estimators.base import observe
                from chanest.estimators.registry import build_estimator

                est = build_estimator(estimator, ds.context())
                h_hat = est.estimate(observe(b)).h_hat[0, 0].numpy()
            with argument_named("out", "plot"):
                written = plot_grid(b.h[0, 0].numpy(), ds.mask, Path(plot_path), title, h_hat,
                                    estimator or "")
            for out in written:
                click.echo(f"wrote {out}")
