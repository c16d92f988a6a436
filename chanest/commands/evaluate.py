"""``evaluate``: estimators × dataset → results.csv, paired.csv, results.json."""

from __future__ import annotations

import click

from chanest.commands.options import device_option, quiet_option
from chanest.schema import ConfigError

__all__ = ["evaluate_command", "DEFAULT_ESTIMATORS"]

DEFAULT_ESTIMATORS = "ls-linear,dft,lmmse,lmmse-separable,genie-lmmse"


@click.command("evaluate")
@click.option("--data", "data", multiple=True, metavar="FILE|GLOB",
              help="Test dataset (.h5 files or a glob; repeat for shards).")
@click.option("--estimators", default=DEFAULT_ESTIMATORS, show_default=True,
              help="Comma-separated estimator names, or 'all' (see --list-estimators).")
@click.option("--out", "-o", default="results", show_default=True,
              type=click.Path(file_okay=False), help="Output directory.")
@device_option
@click.option("--batch-size", type=click.IntRange(min=1), default=256, show_default=True,
              help="Grids per batch (does not change the results).")
@click.option("--fit-data", multiple=True, metavar="FILE|GLOB",
              help="Training dataset passed to fit(): lmmse learns its statistics, "
                   "fixed filters refit their error model.")
@click.option("--snr-bin", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Bin SNRs to this step [dB] (default: exact values; 1 dB bins for "
                   "continuous SNR ranges).")
@click.option("--list-estimators", is_flag=True, help="List the registered estimators and exit.")
@click.option("--memory-gb", type=float, default=4.0, show_default=True,
              help="Working-memory budget per estimator call: batches are split per "
                   "estimator to stay under it (results do not change).")
@click.option("--overwrite", is_flag=True, help="Replace results already in --out.")
@click.option("--metric", type=click.Choice(["nmse", "ber", "bler"]), default="nmse",
              show_default=True,
              help="nmse; ber: uncoded QAM on the data REs, Sionna LMMSE equalizer; bler: "
                   "the same with 5G LDPC (--code-rate). Perfect CSI is a reference row.")
@click.option("--modulation", type=click.Choice(["qpsk", "16qam", "64qam"]), default="qpsk",
              show_default=True, help="QAM order of the data (ber/bler).")
@click.option("--code-rate", type=click.FloatRange(0.2, 948 / 1024), default=0.5,
              show_default=True, help="Target code rate of the 5G NR transport blocks (bler; "
              "at most 948/1024, the highest of the 38.214 MCS tables).")
@click.option("--min-errors", type=click.IntRange(min=1), default=100, show_default=True,
              help="Per SNR, stop once every row has this many errors (bit errors for ber, "
                   "block errors for bler)...")
@click.option("--max-grids", type=click.IntRange(min=1), default=None,
              help="...or after this many grids per SNR (default: all of the dataset's).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the data bits and their noise (ber/bler).")
@click.option("--user", type=click.IntRange(min=0), default=None,
              help="Multi-user data: evaluate this user alone, as single-user data (default: "
                   "every user, one estimator per user, errors pooled over users).")
@quiet_option
def evaluate_command(data, estimators, out, device, batch_size, fit_data, snr_bin,
                     list_estimators, memory_gb, overwrite, metric, modulation, code_rate,
                     min_errors, max_grids, seed, user, quiet):
    """Evaluate channel estimators on the same test grids (NMSE, BER or BLER vs SNR, with
    95% CIs)."""
    from chanest.estimators.registry import (
        PREFIX_FORMS,
        available_estimators,
        describe,
        parse_estimator_names,
    )

    if list_estimators:
        for name, desc in available_estimators().items():
            click.echo(f"  {name:<20} {desc}")
        for form in PREFIX_FORMS.values():
            click.echo(f"  {form:<20} {describe(form)}")
        return
    from chanest.device import resolve_device
    from chanest.evaluation.evaluate import evaluate_to_dir, refuse_existing_results

    if not data:
        raise ConfigError("--data: give at least one dataset file or glob")
    names = parse_estimator_names(estimators)
    refuse_existing_results(out, overwrite)
    runner = None
    if metric != "nmse":
        import functools

        from chanest.link.evaluate import evaluate_link

        runner = functools.partial(evaluate_link, metric=metric, modulation=modulation,
                                   code_rate=code_rate, min_errors=min_errors,
                                   max_grids=max_grids, seed=seed)
    result, paths = evaluate_to_dir(list(data), names, out, resolve_device(device), batch_size,
                                    progress=not quiet, fit_data=list(fit_data) or None,
                                    snr_bin_db=snr_bin, memory_gb=memory_gb, runner=runner,
                                    user=user)
    click.echo(result.table(), nl=False)
    click.echo(f"wrote {paths['csv']}, {paths['paired']}, {paths['json']}")
