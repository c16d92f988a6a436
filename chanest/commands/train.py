"""``train``: fit a neural estimator from an experiment YAML (torchrun for several GPUs)."""

from __future__ import annotations

import click

from chanest.commands.options import config_option, device_option, quiet_option
from chanest.experiment import load_experiment


@click.command("train")
@config_option("Experiment YAML (model, data, training).")
@click.option("--resume", is_flag=True, help="Continue the run in <out_dir>/<name> exactly.")
@device_option
@quiet_option
def train_command(config_path, resume, device, quiet):
    """Train a model; checkpoints, log.csv and the best weights go to <out_dir>/<name>/.

    Several GPUs or nodes: torchrun --nproc-per-node N cli.py train --config ...
    """
    from chanest.train import Trainer  # heavy import only when needed

    trainer = Trainer(load_experiment(config_path), device=device, resume=resume,
                      progress=not quiet)
    summary = trainer.fit()
    if trainer.dist.is_main:
        best = summary["best_val_score_db"]
        score = ("best validation NMSE (mean over SNRs) "
                 f"{best:.2f} dB" if best is not None else "nothing left to train")
        click.echo(f"trained {trainer.exp.model.name} ({summary['parameters']:,} parameters) "
                   f"for {summary['epochs']} epochs on {trainer.device} x{trainer.dist.world}; "
                   f"{score}; weights: {summary['run_dir']}/best.safetensors")
