"""Models whose output is a classical estimate plus a learned correction.

Two bases (the input planes are built by :class:`~chanest.estimators.neural.NeuralFrontEnd`):

``base="linear"`` (input kind ``interp-linear+mask+snr``)
    x [N, 4, S, F]: re, im of the normalised linear interpolation of the LS pilots,
    mask (1 at pilots), SNR plane (10·log10(1/no_normalised) / 30).
    Output: interpolation + correction.

``base="lmmse-adaptive"`` (input kind ``base:lmmse-adaptive``)
    x [N, 7, S, F]: re, im of the per-grid adaptive LMMSE estimate, log of its
    predicted error variance ε per RE, then the four planes above.
    Output: base + √ε · correction (the network works in units of the base's own error).
    ``base_options`` go to the base estimator.

Either way the last three planes are (interpolation re/im, mask, SNR) and
:func:`base_planes`, :func:`mask_plane`, :func:`noise_plane` read them.
"""

from __future__ import annotations

import torch

from chanest.models.base import Model

__all__ = ["BASES", "Corrected", "base_planes", "mask_plane", "noise_plane", "SNR_PLANE_DB"]

#: base estimate → (input kind, input channels)
BASES = {"linear": ("interp-linear+mask+snr", 4), "lmmse-adaptive": ("base:lmmse-adaptive", 7)}
#: the SNR plane holds SNR_dB / SNR_PLANE_DB
SNR_PLANE_DB = 30.0


def base_planes(x: torch.Tensor) -> torch.Tensor:
    """The base estimate [N, 2, S, F] (re, im) of an input x [N, C, S, F]."""
    return x[:, :2]


def mask_plane(x: torch.Tensor) -> torch.Tensor:
    """The pilot mask [N, 1, S, F] (1 at pilots) of an input x [N, C, S, F]."""
    return x[:, -2:-1]


def noise_plane(x: torch.Tensor) -> torch.Tensor:
    """The normalised noise variance no [N, 1, S, F] from the SNR plane of x [N, C, S, F]."""
    return torch.pow(10.0, -x[:, -1:] * (SNR_PLANE_DB / 10.0))


class Corrected(Model):
    """A :class:`Model` on a classical base; subclasses call :meth:`set_base` in their
    constructor and return :meth:`correct` of their correction."""

    def set_base(self, base: str, base_options: dict | None) -> int:
        """Check and record the base; returns the number of input planes."""
        if base not in BASES:
            raise ValueError(f"base must be one of {', '.join(BASES)}, got {base!r}")
        if not isinstance(base_options, (dict, type(None))):
            raise ValueError(f"base_options must be a mapping of options, got {base_options!r}")
        self.base = base
        self.base_options = dict(base_options or {})  # options of the base estimator
        self.input_kind, c_in = BASES[base]
        return c_in

    def base_variance(self, x: torch.Tensor) -> torch.Tensor | None:
        """The base's normalised error variance ε [N, 1, S, F] (None on the linear base)."""
        return None if self.base == "linear" else torch.exp(x[:, 2:3])

    def correct(self, x: torch.Tensor, correction: torch.Tensor) -> torch.Tensor:
        """Base estimate + correction [N, 2, S, F] (× √ε on an LMMSE base)."""
        if self.base != "linear":
            correction = correction * torch.exp(0.5 * x[:, 2:3])
        return base_planes(x) + correction
