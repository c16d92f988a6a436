"""Neural network modules (``nn.Module`` only) and their registry.

Each model class declares ``input_kind``, which tells
:class:`chanest.estimators.neural.NeuralEstimator` how to build its input:

``interp-rbf``             [N, 2, S, F] RBF interpolation of the LS pilots (ChannelNet)
``pilot-image``            [N, 2, Sp, Fp] LS pilots as an image (ReEsNet)
``interp-linear+mask+snr`` [N, 4, S, F] linear interpolation, mask, SNR plane (CENet)
``base:lmmse-adaptive``    [N, 7, S, F] adaptive LMMSE estimate, log of its error variance,
                           linear interpolation, mask, SNR plane (CENet with that base)
"""

from __future__ import annotations

from torch import nn

from chanest.config import ConfigError
from chanest.models.cenet import CENet
from chanest.models.channelnet import ChannelNet
from chanest.models.reesnet import ReEsNet

__all__ = ["MODELS", "build_model", "count_parameters"]

MODELS: dict[str, type[nn.Module]] = {
    "channelnet": ChannelNet,
    "reesnet": ReEsNet,
    "cenet": CENet,
}


def build_model(name: str, **kwargs) -> nn.Module:
    """Instantiate a registered model; unknown names list the known ones."""
    if name not in MODELS:
        raise ConfigError(f"model.name: unknown model {name!r}; known: {', '.join(MODELS)}")
    try:
        return MODELS[name](**kwargs)
    except TypeError as err:
        raise ConfigError(f"model.kwargs: {err}") from None


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
