"""What every model declares about itself: inputs, construction, training stages.

A model is an ``nn.Module`` subclassing :class:`Model`; it states

* ``input_kind``: which input the :class:`~chanest.estimators.neural.NeuralFrontEnd`
  builds for it (see :mod:`chanest.models`);
* :meth:`Model.resolve_kwargs`: its constructor arguments for a pilot layout, from the
  configured ones (the grid-dependent ones filled in);
* ``stages``, :meth:`Model.enter_stage` and :meth:`Model.trainable_modules`: its
  training stages (``"all"`` is always one: every parameter trains);
* ``has_err_head`` and ``base_options`` (the options of a classical base estimate);
* :meth:`Model.activation_bytes`: its float32 working memory per link of an [S, F]
  grid, by which evaluation splits batches (default: a few maps of its widest
  convolution; attention models add their score matrices);
* ``antennas``: None for a model that sees one link [S, F] at a time; for a model that
  sees a whole grid's antennas at once, the antenna count A it was built for: its input
  is then [B·A, C, S, F] with the A links of each grid consecutive (grid-major), every
  grid normalised by one scale, and data with another antenna count are refused.

A bad constructor argument value raises ``ValueError`` naming the argument
(:func:`check_int`, :func:`check_ints`); the registry turns it into a ConfigError.
"""

from __future__ import annotations

import numpy as np
from torch import nn

__all__ = ["Model", "check_int", "check_ints"]


class Model(nn.Module):
    """Base class of the models; the defaults suit a one-stage model without extras."""

    input_kind: str = ""
    #: named training stages besides "all"
    stages: tuple[str, ...] = ()
    has_err_head: bool = False
    base_options: dict | None = None
    #: antennas of a joint-antenna model (None: one link at a time)
    antennas: int | None = None

    @classmethod
    def resolve_kwargs(cls, kwargs: dict, mask: np.ndarray) -> dict:
        """Constructor arguments for the pilot layout ``mask`` [S, F] (default: as given)."""
        return dict(kwargs)

    def activation_bytes(self, S: int, F: int) -> int:
        """Working memory (bytes, an upper estimate) of one forward pass per link of an
        [S, F] grid. Default: six float32 maps of the widest convolution alive at once."""
        width = max((m.out_channels for m in self.modules() if isinstance(m, nn.Conv2d)),
                    default=64)
        return 6 * width * 4 * S * F

    def enter_stage(self, stage: str | None) -> None:
        """Switch the forward pass to ``stage`` (default: one forward pass for all)."""

    def trainable_modules(self, stage: str) -> list[nn.Module]:
        """Modules whose parameters train in ``stage`` (default: the whole model)."""
        return [self]


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_int(name: str, value, minimum: int) -> None:
    """ValueError naming ``name`` unless ``value`` is an integer >= ``minimum``."""
    if not (_is_int(value) and value >= minimum):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def check_ints(name: str, value, minimum: int, length: int | None = None) -> None:
    """ValueError naming ``name`` unless ``value`` is a non-empty list of integers >=
    ``minimum`` (of ``length`` items if given)."""
    if not (isinstance(value, (list, tuple)) and value and
            (length is None or len(value) == length) and
            all(_is_int(v) and v >= minimum for v in value)):
        what = f"{length} integers" if length else "a non-empty list of integers"
        raise ValueError(f"{name} must be {what} >= {minimum}, got {value!r}")
