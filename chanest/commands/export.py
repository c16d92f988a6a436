"""``export``: a trained network (``ckpt:`` or ``pretrained:``) to ONNX or TorchScript."""

from __future__ import annotations

from pathlib import Path

import click

from chanest.schema import ConfigError

__all__ = ["export_command", "load_for_export", "checkpoint_stem"]


def checkpoint_stem(name: str) -> str:
    """The checkpoint stem of ``ckpt:STEM`` or ``pretrained:NAME`` (ConfigError otherwise)."""
    from chanest.estimators.catalog import parse_name

    try:
        kind, arg = parse_name(name)
    except ConfigError:
        kind = ""
    if kind == "pretrained":
        from chanest.pretrained import stem
        from chanest.schema import argument_named

        with argument_named("names", "model_name"):
            return str(stem(arg))
    if kind == "ckpt" and arg:
        if any(ch in arg for ch in "*?["):
            raise ConfigError(f"MODEL: export takes one checkpoint, not a per-SNR family "
                              f"({name!r})")
        return str(Path(arg) / "best") if Path(arg).is_dir() else arg  # a run folder: best
    raise ConfigError(f"MODEL: give ckpt:PATH or pretrained:NAME, got {name!r}")


def load_for_export(name: str, device: str = "cpu"):
    """The NeuralEstimator of ``ckpt:STEM`` / ``pretrained:NAME`` on its own pilot layout
    (grid and mask from the checkpoint; unit pilots, as the exported graph takes LS values)."""
    import numpy as np

    from chanest.estimators.base import GridContext
    from chanest.estimators.checkpointed import load_neural_estimator
    from chanest.grid.ofdm import GridConfig
    from chanest.models.checkpoint import load_checkpoint

    path = checkpoint_stem(name)
    _, meta = load_checkpoint(path)
    mask = np.asarray(meta.get("mask", []), dtype=bool)
    if mask.ndim != 2 or "grid" not in meta:
        raise ConfigError(f"MODEL: {name} has no grid or pilot mask in its metadata")
    ctx = GridContext(grid=GridConfig(**meta["grid"]), mask=mask,
                      pilots=np.ones(int(mask.sum()), dtype=np.complex64))
    return load_neural_estimator(path, ctx, device, label=name)


@click.command("export")
@click.argument("model", metavar="MODEL")
@click.option("--format", "fmt", type=click.Choice(["onnx", "torchscript"]), required=True,
              help="onnx (needs the onnx and onnxscript packages) or torchscript.")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False),
              help="Output file (.onnx or .pt); a .json sidecar is written beside it.")
@click.option("--part", type=click.Choice(["auto", "full", "network"]), default="auto",
              show_default=True,
              help="full: LS pilots and noise variance in, channel and error variance out; "
                   "network: the network's input planes in (auto: full when possible).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def export_command(model, fmt, out, part, overwrite):
    """Export MODEL (ckpt:PATH or pretrained:NAME) for deployment outside chanest."""
    from chanest.estimators.export import export_model

    checkpoint_stem(model)
    if Path(out).exists() and not overwrite:
        raise ConfigError(f"--out: {out} exists; pass --overwrite to replace it")
    est = load_for_export(model)
    side = export_model(est, out, fmt, part)
    click.echo(f"wrote {out} ({side['part']}: {', '.join(side['inputs'])} -> "
               f"{', '.join(side['outputs'])}) and {out}.json")
