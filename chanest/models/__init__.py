"""Neural network modules (``nn.Module`` only) and their registry.

Each model class (a :class:`~chanest.models.base.Model`) declares its input
(``input_kind``), its constructor arguments for a pilot layout (``resolve_kwargs``)
and its training stages; :mod:`chanest.models.registry` builds one by name and
:mod:`chanest.models.io` saves and loads it (:func:`save_model`, :func:`load_model`).
Input kinds, as :class:`chanest.estimators.neural.NeuralFrontEnd` builds them:

``interp-rbf``             [N, 2, S, F] RBF interpolation of the LS pilots (ChannelNet)
``pilot-image``            [N, 2, Sp, Fp] LS pilots as an image (ReEsNet)
``interp-linear+mask+snr`` [N, 4, S, F] linear interpolation, mask, SNR plane (CENet)
``base:lmmse-adaptive``    [N, 7, S, F] adaptive LMMSE estimate, log of its error variance,
                           linear interpolation, mask, SNR plane (CENet with that base)

A model with ``antennas`` = A (ArrayNet) gets the same planes for whole grids: N = B·A with
each grid's A links consecutive, normalised by one scale per grid.

CENet, InReEsNet, the attention model, MTRE, DDAE and the score model take either of the
last two (``base``, :mod:`chanest.models.corrected`) and output a correction of it.
"""

from __future__ import annotations

from chanest.models.base import Model
from chanest.models.io import load_model, save_model
from chanest.models.registry import MODELS, build_model, count_parameters, model_spec

__all__ = ["Model", "MODELS", "build_model", "model_spec", "count_parameters", "save_model",
           "load_model"]
