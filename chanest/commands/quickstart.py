"""``quickstart``: the whole pipeline on the embedded default in one command.

Simulates a test set of the default scenario (72x14 LTE grid, ChannelNet's 48
pilots, ITU VehA at 0-30 m/s, SNR 0-30 dB), evaluates LS, the robust, adaptive and
nominal LMMSE, the shipped model ``pretrained:cenet-lte-mixture`` and the genie bound
on the same grids, writes results.csv/paired.csv/results.json and nmse.pdf/.png into
OUT, and prints the table.
"""

from __future__ import annotations

from pathlib import Path

import click

from chanest.commands.options import device_option, quiet_option
from chanest.schema import ConfigError

__all__ = ["quickstart_command", "QUICKSTART_ESTIMATORS"]

QUICKSTART_ESTIMATORS = ("ls-linear,lmmse-robust,lmmse-adaptive,lmmse,"
                         "pretrained:cenet-lte-mixture,genie-lmmse")


@click.command("quickstart")
@click.option("--out", "-o", default="results/quickstart", show_default=True,
              type=click.Path(file_okay=False), help="Output folder.")
@click.option("--num-samples", "-n", type=click.IntRange(min=64), default=2800,
              show_default=True, help="Test grids (spread evenly over the SNRs).")
@click.option("--overwrite", is_flag=True, help="Replace results already in --out.")
@device_option
@quiet_option
def quickstart_command(out, num_samples, overwrite, device, quiet):
    """Simulate, evaluate and plot on the embedded default scenario (about 30 s)."""
    from chanest.data.dataset import DatasetWriter
    from chanest.data.scenario import Scenario
    from chanest.data.simulate import Simulator
    from chanest.device import resolve_device
    from chanest.evaluation.evaluate import evaluate_to_dir, refuse_existing_results
    from chanest.plots.results import plot_results

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out: {out} exists and is not a directory")
    refuse_existing_results(out, overwrite)
    dev = resolve_device(device)
    data = out / "test.h5"
    sim = Simulator(Scenario(), device=dev)
    writer = DatasetWriter(data, sim, num_samples, overwrite=True)
    out.mkdir(parents=True, exist_ok=True)
    writer.run()
    if not quiet:
        click.echo(f"simulated {num_samples} test grids of the default scenario -> {data}")
    result, paths = evaluate_to_dir([str(data)], QUICKSTART_ESTIMATORS, out, dev,
                                    progress=not quiet)
    figures = plot_results(paths["csv"], out / "nmse")
    click.echo(result.table(), nl=False)
    click.echo(f"wrote {paths['csv']}, {paths['paired']}, {paths['json']}")
    click.echo(f"figure: {figures[0]} (and {figures[1].name})")
