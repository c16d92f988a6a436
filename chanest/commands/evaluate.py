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
@click.option("--shard", default=None, metavar="i/n|auto",
              help="Evaluate only shard i of n (contiguous whole batches) into "
                   "OUT/shard-<i>of<n>.npz (every grid's errors); auto: this process's shard "
                   "under torchrun or in a SLURM job array. Combine them with --merge.")
@click.option("--merge", multiple=True, metavar="DIR",
              help="Write OUT's tables from the shard files in DIR (repeat, or a glob), "
                   "exactly as one process over the whole dataset writes them.")
@quiet_option
def evaluate_command(data, estimators, out, device, batch_size, fit_data, snr_bin,
                     list_estimators, memory_gb, overwrite, metric, modulation, code_rate,
                     min_errors, max_grids, seed, user, shard, merge, quiet):
    """Evaluate channel estimators on the same test grids (NMSE, BER or BLER vs SNR, with
    95% CIs); on several processes: --shard, then --merge."""
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
    from chanest.evaluation.evaluate import evaluate_to_dir, refuse_existing_results
    from chanest.launch import process_device

    if merge:
        _merge(merge, out, overwrite, data, shard)
        return
    if not data:
        raise ConfigError("--data: give at least one dataset file or glob")
    names = parse_estimator_names(estimators)
    if shard is not None:
        _shard(shard, metric, data, names, out, process_device(device), batch_size, fit_data,
               snr_bin, memory_gb, user, overwrite, quiet)
        return
    refuse_existing_results(out, overwrite)
    runner = None
    if metric != "nmse":
        import functools

        from chanest.link.evaluate import evaluate_link

        runner = functools.partial(evaluate_link, metric=metric, modulation=modulation,
                                   code_rate=code_rate, min_errors=min_errors,
                                   max_grids=max_grids, seed=seed)
    result, paths = evaluate_to_dir(list(data), names, out, process_device(device), batch_size,
                                    progress=not quiet, fit_data=list(fit_data) or None,
                                    snr_bin_db=snr_bin, memory_gb=memory_gb, runner=runner,
                                    user=user)
    click.echo(result.table(), nl=False)
    click.echo(f"wrote {paths['csv']}, {paths['paired']}, {paths['json']}")


def _merge(dirs, out, overwrite, data, shard) -> None:
    """``--merge``: the tables of the shard files in ``dirs``."""
    from chanest.evaluation.evaluate import refuse_existing_results
    from chanest.evaluation.shards import merge_to_dir

    if data or shard is not None:
        raise ConfigError(f"--merge: reads only shard files; drop "
                          f"{'--data' if data else '--shard'}")
    refuse_existing_results(out, overwrite)
    result, paths = merge_to_dir(dirs, out)
    click.echo(result.table(), nl=False)
    click.echo(f"merged {len(result.provenance['shards'])} shards; wrote {paths['csv']}, "
               f"{paths['paired']}, {paths['json']}")


def _shard(text, metric, data, names, out, device, batch_size, fit_data, snr_bin, memory_gb,
           user, overwrite, quiet) -> None:
    """``--shard``: one shard's per-grid errors into ``out``."""
    from chanest.data.writer import parse_shard
    from chanest.evaluation.shards import evaluate_shard_to_dir

    if metric != "nmse":
        raise ConfigError(f"--shard: shards hold NMSE errors; --metric {metric} runs in one "
                          "process")
    spec = parse_shard(text)
    path = evaluate_shard_to_dir(list(data), names, out, spec, device, batch_size,
                                 progress=not quiet, fit_data=list(fit_data) or None,
                                 snr_bin_db=snr_bin, memory_gb=memory_gb, user=user,
                                 overwrite=overwrite)
    click.echo(f"wrote {path} (shard {spec.index}/{spec.count}); when every shard is "
               f"written: evaluate --merge {path.parent} --out DIR")
