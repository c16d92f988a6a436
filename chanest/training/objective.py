"""Training objectives (``train.loss``), on the per-sample normalised grids of
:class:`~chanest.estimators.neural.NeuralFrontEnd`:

* ``base``: |ĥ − h|² / ε per RE and real component, ε the base estimator's own
  predicted error variance (models with a classical base, e.g. CENet on
  ``lmmse-adaptive``); about 1/2 for the untrained model if ε is calibrated, and
  every SNR weighs alike;
* ``log-nmse``: mean over grids of ln(‖ĥ − h‖² / ‖h‖²): relative improvements count
  the same at every SNR;
* ``nmse``: mean over grids of ‖ĥ − h‖² / ‖h‖² (low SNRs still dominate);
* ``mse``: plain MSE (low SNRs dominate: a 0 dB grid's error outweighs a 30 dB
  grid's about 300-fold);
* ``auto`` (default): ``base`` for models with a base, ``log-nmse`` otherwise.

With an error head, plus ``err_loss_weight`` × the Gaussian negative
log-likelihood of the (detached) error under the predicted variance
(:func:`error_head_nll`).
"""

from __future__ import annotations

import torch

from chanest.schema import ConfigError

__all__ = ["resolve_loss", "objective", "error_head_nll"]


def resolve_loss(kind: str, has_base: bool, model_name: str) -> str:
    """The loss ``train.loss = kind`` means for a model with or without a base."""
    if kind == "auto":
        return "base" if has_base else "log-nmse"
    if kind == "base" and not has_base:
        raise ConfigError(f"train.loss: 'base' needs a model with a classical base "
                          f"estimate; {model_name} has none (allowed: auto, mse, "
                          "nmse, log-nmse)")
    return kind


def objective(kind: str, out: torch.Tensor, target: torch.Tensor,
              base_error: torch.Tensor | None) -> torch.Tensor:
    """The training loss ``kind`` (module docstring).

    Args:
        out, target: [N, 2, S, F] normalised estimate and true channel (re, im).
        base_error: [N, 1, S, F] the base's normalised error variance ε (``base`` only).
    """
    e2 = (out - target) ** 2  # [N, 2, S, F]
    if kind == "mse":
        return e2.mean()
    if kind == "base":
        return (e2 / base_error.clamp_min(1e-12)).mean()
    nmse = e2.sum(dim=(1, 2, 3)) / (target**2).sum(dim=(1, 2, 3)).clamp_min(1e-12)  # [N]
    if kind == "nmse":
        return nmse.mean()
    return torch.log(nmse.clamp_min(1e-12)).mean()


def error_head_nll(out: torch.Tensor, logvar: torch.Tensor,
                   target: torch.Tensor) -> torch.Tensor:
    """Gaussian NLL of the detached error |e|² [N, 1, S, F] under the predicted log
    variance ``logvar`` [N, 1, S, F] (up to constants)."""
    e2 = ((out.detach() - target) ** 2).sum(dim=1, keepdim=True)  # |e|² [N, 1, S, F]
    return torch.mean(e2 * torch.exp(-logvar) + logvar)
