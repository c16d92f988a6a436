"""``plot``: results.csv → FIG.pdf and FIG.png (NMSE vs SNR, bounds dashed)."""

from __future__ import annotations

import click

__all__ = ["plot_command"]


@click.command("plot")
@click.argument("results_csv", metavar="RESULTS_CSV")
@click.option("--out", "-o", required=True, metavar="FIG",
              help="Figure path: without extension FIG.pdf and FIG.png are written; "
                   "FIG.pdf, FIG.png or FIG.svg writes exactly that file; an existing "
                   "folder gets <metric>.pdf and .png.")
@click.option("--metric", type=click.Choice(["nmse", "nmse-ps", "mse", "calibration"]),
              default="nmse", show_default=True,
              help="nmse: E|e|^2/E|h|^2 (the bound applies); nmse-ps: mean per-grid NMSE; "
                   "mse: per-RE MSE; calibration: reported err_var minus measured MSE [dB].")
@click.option("--model", default=None, help="Only this model group (default: one panel each).")
def plot_command(results_csv, out, metric, model):
    """Plot NMSE vs SNR from a results table written by `evaluate`."""
    from chanest.plot import plot_results

    for path in plot_results(results_csv, out, metric=metric, model=model):
        click.echo(f"wrote {path}")
