"""``plot``: results.csv (one or several) → FIG.pdf, FIG.png and FIG.csv (the points)."""

from __future__ import annotations

import click

from chanest.commands.options import TableChoice
from chanest.plots.metrics import METRICS

__all__ = ["plot_command", "plot_training_command", "parse_labels"]


def parse_labels(items) -> dict[str, str]:
    """``NAME=LABEL`` options → {name: label} (ConfigError naming --label otherwise)."""
    from chanest.schema import ConfigError

    mapping = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name or not text:
            raise ConfigError(f"--label: expected NAME=LABEL, got {item!r}")
        mapping[name] = text
    return mapping


@click.command("plot")
@click.argument("results_csv", nargs=-1, required=True, metavar="RESULTS_CSV...")
@click.option("--out", "-o", required=True, metavar="FIG",
              help="Figure path: without extension FIG.pdf and FIG.png are written; "
                   "FIG.pdf, FIG.png or FIG.svg writes exactly that file; an existing "
                   "folder gets <metric>.pdf and .png. FIG.csv always gets the plotted "
                   "points (panel, series, estimator, file, x, y, y_lo, y_hi, point).")
@click.option("--metric", type=TableChoice(METRICS), default="nmse", show_default=True,
              help="; ".join(f"{name}: {m.help}" for name, m in METRICS.items()) + ". On a "
                   "log axis a point with zero errors is not drawn on the line but as an "
                   "open downward triangle at its 95% upper bound.")
@click.option("--tag", "tags", multiple=True, metavar="TEXT",
              help="Legend text of each RESULTS_CSV, in order (one per file; default: the "
                   "files' folder names). Several files share the axes: an estimator keeps "
                   "its colour and marker, each file gets its own line style and marker "
                   "fill.")
@click.option("--x", "x", default="snr_db", show_default=True, metavar="COLUMN",
              help="x-axis column, e.g. num_pilots, delay_spread_ns or doppler_hz in the "
                   "tables the sims/ studies write.")
@click.option("--ci", type=click.Choice(["band", "bars", "none"]), default="band",
              show_default=True, help="How the interval (the _lo/_hi columns) is drawn.")
@click.option("--model", default=None, help="Only this model group (default: one panel each).")
@click.option("--estimators", default=None,
              help="Comma-separated estimators to draw, in this order (default: all).")
@click.option("--label", "labels", multiple=True, metavar="NAME=LABEL",
              help="Legend label for an estimator (repeatable).")
@click.option("--title", default=None,
              help="Figure title (default: grid and pilots of a single file; none for "
                   "several).")
@click.option("--no-title", is_flag=True, help="No title.")
@click.option("--size", type=click.Choice(["single", "double", "screen"]), default="single",
              show_default=True, help="IEEE single column (3.5 in), double column (7.16 in) "
                                      "or a larger screen figure.")
@click.option("--relative-to", default=None, metavar="NAME",
              help="Draw each value minus this estimator's at the same x (dB metrics), "
                   "e.g. the gain of every estimator over lmmse-adaptive.")
def plot_command(results_csv, out, metric, tags, x, ci, model, estimators, labels, title,
                 no_title, size, relative_to):
    """Plot a metric vs SNR from one or several results tables written by `evaluate`."""
    from chanest.plots.results import plot_results

    names = [n.strip() for n in estimators.split(",") if n.strip()] if estimators else None
    for path in plot_results(list(results_csv), out, metric=metric, model=model,
                             estimators=names, labels=parse_labels(labels),
                             title="" if no_title else title, size=size,
                             tags=list(tags) or None, x=x, ci=ci,
                             relative_to=relative_to):
        click.echo(f"wrote {path}")


@click.command("plot-training")
@click.argument("runs", nargs=-1, required=True, metavar="RUN_DIR...")
@click.option("--out", "-o", required=True, metavar="FIG",
              help="Figure path, as for `plot` (an existing folder gets training.pdf and "
                   ".png); FIG.csv gets the plotted points.")
@click.option("--metric", type=click.Choice(["val_nmse_db", "val_score_db", "train_loss",
                                             "lr"]),
              default="val_nmse_db", show_default=True,
              help="log.csv column drawn against the epoch (counted over all stages).")
@click.option("--tag", "tags", multiple=True, metavar="TEXT",
              help="Legend text of each RUN_DIR, in order (default: the folder names).")
@click.option("--title", default="", help="Figure title (default: none).")
@click.option("--size", type=click.Choice(["single", "double", "screen"]), default="single",
              show_default=True, help="As for `plot`.")
def plot_training_command(runs, out, metric, tags, title, size):
    """Plot training curves (validation NMSE, score, loss or learning rate vs epoch) of
    one or several runs from their log.csv."""
    from chanest.plots.training import plot_training

    for path in plot_training(list(runs), out, metric=metric, tags=list(tags) or None,
                              title=title, size=size):
        click.echo(f"wrote {path}")
