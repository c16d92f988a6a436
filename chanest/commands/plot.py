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
@click.option("--estimators", default=None,
              help="Comma-separated estimators to draw, in this order (default: all).")
@click.option("--label", "labels", multiple=True, metavar="NAME=LABEL",
              help="Legend label for an estimator (repeatable).")
@click.option("--title", default=None, help="Figure title (default: grid and pilots).")
@click.option("--no-title", is_flag=True, help="No title.")
@click.option("--size", type=click.Choice(["single", "double", "screen"]), default="single",
              show_default=True, help="IEEE single column (3.5 in), double column (7.16 in) "
                                      "or a larger screen figure.")
def plot_command(results_csv, out, metric, model, estimators, labels, title, no_title, size):
    """Plot NMSE vs SNR from a results table written by `evaluate`."""
    from chanest.config import ConfigError
    from chanest.plot import plot_results

    mapping = {}
    for item in labels:
        name, sep, text = item.partition("=")
        if not sep or not name or not text:
            raise ConfigError(f"--label: expected NAME=LABEL, got {item!r}")
        mapping[name] = text
    names = [n.strip() for n in estimators.split(",") if n.strip()] if estimators else None
    for path in plot_results(results_csv, out, metric=metric, model=model, estimators=names,
                             labels=mapping, title="" if no_title else title, size=size):
        click.echo(f"wrote {path}")
