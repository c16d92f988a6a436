"""``train``: fit a neural estimator from an experiment YAML (torchrun for several GPUs)."""

from __future__ import annotations

import click

from chanest.commands.options import config_option, device_option, quiet_option


@click.command("train")
@config_option("Experiment YAML (model, data, training).")
@click.option("--resume", is_flag=True, help="Continue the run in <out_dir>/<name> exactly.")
@click.option("--name", default=None, help="Run name (overrides the YAML's name).")
@click.option("--out-dir", default=None, type=click.Path(file_okay=False),
              help="Folder of runs (overrides the YAML's out_dir).")
@click.option("--overwrite", is_flag=True,
              help="Start afresh, deleting an earlier run of the same name.")
@device_option
@quiet_option
def train_command(config_path, resume, name, out_dir, overwrite, device, quiet):
    """Train a model; checkpoints, log.csv and the best weights go to <out_dir>/<name>/.

    Ctrl-C stops after saving nothing new; the same command with --resume continues
    from the last completed epoch. Several GPUs or nodes:
    torchrun --nproc-per-node N cli.py train --config ...
    """
    from chanest.interrupt import ctrl_c
    from chanest.training.experiment import load_experiment, parse_experiment
    from chanest.training.loop import Trainer
    from chanest.training.runfolder import replacing_run

    exp = load_experiment(config_path)
    overrides = {k: v for k, v in (("name", name), ("out_dir", out_dir)) if v is not None}
    if overrides:
        exp = parse_experiment({**exp.to_dict(), **overrides}, source="command line")
    with replacing_run(exp.run_dir, overwrite=overwrite, resume=resume):
        trainer = Trainer(exp, device=device, resume=resume, progress=not quiet)
    try:
        with ctrl_c() as interrupt:
            trainer.after_epoch = interrupt.check
            summary = trainer.fit()
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: {trainer.run_dir}/last holds the last completed epoch; "
                   "run the same command with --resume to continue", err=True)
        raise SystemExit(130) from None
    if trainer.dist.is_main:
        best = summary["best_val_score_db"]
        score = ("best validation NMSE (mean over SNRs) "
                 f"{best:.2f} dB" if best is not None else "nothing left to train")
        click.echo(f"trained {trainer.exp.model.name} ({summary['parameters']:,} parameters) "
                   f"for {summary['epochs']} epochs on {trainer.device} x{trainer.dist.world}; "
                   f"{score}; weights: {summary['run_dir']}/best.safetensors")
