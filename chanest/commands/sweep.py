"""``sweep``: per-SNR and SNR-agnostic models, then evaluation with the baselines."""

from __future__ import annotations

import click

from chanest.commands.options import config_option, device_option, quiet_option


@click.command("sweep")
@config_option("Sweep YAML (scenario, per_snr, agnostic, experiment, baselines).")
@click.option("--dry-run", is_flag=True, help="Validate and list the runs without training.")
@device_option
@quiet_option
def sweep_command(config_path, dry_run, device, quiet):
    """Train one model per SNR and/or one over all SNRs; evaluate all on one test set.

    Re-running the same command resumes unfinished runs and skips finished ones. With
    several GPUs (--device auto) the runs are spread over them, one process per GPU.
    """
    from chanest.training.sweep import (
        estimator_names,
        load_sweep,
        plan_runs,
        refuse_torchrun,
        run_sweep,
    )

    refuse_torchrun()
    spec = load_sweep(config_path)
    plans = plan_runs(spec)
    for run, exp in plans:
        snr = exp.data.snr_db or "all SNRs"
        click.echo(f"run {spec.root / run}: {exp.model.name}, {snr}")
    click.echo(f"estimators: {', '.join(estimator_names(spec))}")
    if dry_run:
        return
    out = run_sweep(spec, device=device, progress=not quiet, report=click.echo)
    click.echo(f"results in {out}")
