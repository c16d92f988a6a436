"""``model.init``: start a training from the weights of another checkpoint (fine-tuning).

The checkpoint must hold the same model (name and kwargs, after defaults are filled in)
for the same grid and pilot layout; anything else is one ConfigError naming ``model.init``.
Only the weights are taken: the optimiser, schedule and epoch count start afresh.
"""

from __future__ import annotations

from pathlib import Path

import torch

from chanest.data.context import GridContext, check_compatible, context_from_checkpoint
from chanest.models.checkpoint import checkpoint_paths, load_checkpoint
from chanest.schema import ConfigError

__all__ = ["initial_weights"]

_FIELD = "model.init"


def _stem(spec: str) -> Path:
    """The checkpoint stem of ``spec``: pretrained:NAME, a run folder (its best) or a stem."""
    if spec.startswith("pretrained:"):
        from chanest.pretrained import available, stem

        name = spec.split(":", 1)[1]
        if name not in available():
            raise ConfigError(f"{_FIELD}: unknown pretrained model {name!r}; shipped: "
                              f"{', '.join(available())}")
        return stem(name)
    path = Path(spec.removeprefix("ckpt:"))
    if path.is_dir():
        path = path / "best"
    if not all(p.is_file() for p in checkpoint_paths(path)):
        raise ConfigError(f"{_FIELD}: no checkpoint {path} (.safetensors + .json); give a "
                          "checkpoint stem, a run folder or pretrained:NAME")
    return path


def initial_weights(spec: str, model: dict, ctx: GridContext) -> dict[str, torch.Tensor]:
    """The tensors of checkpoint ``spec`` after checking that they fit.

    Args:
        spec: ``model.init`` of the experiment.
        model: the experiment's resolved model spec {name, kwargs}.
        ctx: the training data's grid context.

    Returns:
        the checkpoint's tensors (``model.<name>`` weights among them), on the CPU.
    """
    stem = _stem(spec)
    tensors, meta = load_checkpoint(stem, device="cpu")
    theirs = meta.get("model") or {}
    if theirs.get("name") != model["name"] or theirs.get("kwargs") != model["kwargs"]:
        raise ConfigError(f"{_FIELD}: {spec} holds model {theirs.get('name')!r} "
                          f"{theirs.get('kwargs')}; this experiment builds {model['name']!r} "
                          f"{model['kwargs']}")
    check_compatible(context_from_checkpoint(meta), ctx, (spec, "the training data"),
                     arg=_FIELD)
    return tensors
