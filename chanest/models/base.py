"""What every model declares about itself: inputs, construction, training stages.

A model is an ``nn.Module`` subclassing :class:`Model`; it states

* ``input_kind``: which input the :class:`~chanest.estimators.neural.NeuralFrontEnd`
  builds for it (see :mod:`chanest.models`);
* :meth:`Model.resolve_kwargs`: its constructor arguments for a pilot layout, from the
  configured ones (the grid-dependent ones filled in);
* ``stages``, :meth:`Model.enter_stage` and :meth:`Model.trainable_modules`: its
  training stages (``"all"`` is always one: every parameter trains);
* ``has_err_head`` and ``base_options`` (the options of a classical base estimate).
"""

from __future__ import annotations

import numpy as np
from torch import nn

__all__ = ["Model"]


class Model(nn.Module):
    """Base class of the models; the defaults suit a one-stage model without extras."""

    input_kind: str = ""
    #: named training stages besides "all"
    stages: tuple[str, ...] = ()
    has_err_head: bool = False
    base_options: dict | None = None

    @classmethod
    def resolve_kwargs(cls, kwargs: dict, mask: np.ndarray) -> dict:
        """Constructor arguments for the pilot layout ``mask`` [S, F] (default: as given)."""
        return dict(kwargs)

    def enter_stage(self, stage: str | None) -> None:
        """Switch the forward pass to ``stage`` (default: one forward pass for all)."""

    def trainable_modules(self, stage: str) -> list[nn.Module]:
        """Modules whose parameters train in ``stage`` (default: the whole model)."""
        return [self]
