"""``inspect``: summary of a dataset (shapes, SNRs, parameter ranges, power)."""

from __future__ import annotations

from pathlib import Path

import click

from chanest.schema import ConfigError


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
    from chanest.data.dataset import open_dataset
    from chanest.data.summary import summarise_dataset

    with open_dataset(list(files)) as ds:
        n = len(ds)
        if estimator and not plot_path:
            raise ConfigError("--estimator: only used with --plot FIG")
        if sample >= n:
            raise ConfigError(f"--sample: must be < {n} (grids in the dataset), got {sample}")
        for line in summarise_dataset(ds, power_samples).lines():
            click.echo(line)
        if plot_path:
            for out in _plot_sample(ds, sample, estimator, Path(plot_path)):
                click.echo(f"wrote {out}")


def _plot_sample(ds, sample: int, estimator: str | None, path: Path) -> list[Path]:
    """|H| of grid ``sample`` (user 0, antenna 0) with its pilots, and with ``estimator``
    its |Ĥ| and error; returns the files written."""
    from chanest.plots.grid import plot_grid
    from chanest.schema import argument_named

    b = ds.read(sample, sample + 1)
    who = "" if ds.scenario.users is None else ", user 0, antenna 0"
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
        return plot_grid(b.h[0, 0].numpy(), ds.mask, path, title, h_hat, estimator or "")
