"""Training entry point: :class:`Trainer` and the names older code imports from here.

The trainer lives in :mod:`chanest.training` (loop, objective, optimizer, validation,
checkpoints, log), the models' construction, stages and save/load in
:mod:`chanest.models`.
"""

from __future__ import annotations

import numpy as np

from chanest.models import model_spec
from chanest.models.io import unwrap as _unwrap
from chanest.training.loop import Trainer
from chanest.training.resume import TrainState

__all__ = ["Trainer", "TrainState", "model_kwargs_for", "_unwrap"]


def model_kwargs_for(name: str, kwargs: dict, mask: np.ndarray) -> dict:
    """The constructor arguments of model ``name`` for the pilot layout ``mask`` [S, F]
    (:func:`chanest.models.model_spec`)."""
    return model_spec(name, kwargs, mask)["kwargs"]
