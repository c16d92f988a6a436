"""CENet, chanest's own estimator network.

One model for the whole SNR range. Conv-BN-ReLU residual blocks with dilations
1, 2, 4, … give a receptive field that spans the pilot spacing in both
directions without pooling; the output is a correction added to a classical
estimate (the last layer starts at zero, so an untrained CENet *is* that
estimate). Two bases:

``base="linear"`` (input kind ``interp-linear+mask+snr``)
    Input [N, 4, S, F]: re, im of the (per-sample normalised) linear
    interpolation of the LS pilots; mask (1 at pilots); SNR plane
    (10·log10(1/no_normalised) / 30). Output: interpolation + correction.

``base="lmmse-adaptive"`` (input kind ``base:lmmse-adaptive``)
    Input [N, 7, S, F]: re, im of the per-grid adaptive LMMSE estimate, the log
    of its predicted error variance ε (per RE), re, im of the linear
    interpolation, mask, SNR plane (all normalised like above). Output:
    base + √ε · correction, so the network works in units of the base's own error
    and the trainer's default loss |ĥ − h|²/ε weights every SNR alike. Needs no
    scenario statistics, so the model applies to channels it was not trained on.
    ``base_options`` go to the base estimator (e.g. ``{cache_mb: 8192}`` for large
    grids).

Output [N, 2, S, F] (re, im) and, with ``err_head=True``, [N, 1, S, F] log
error variance per RE (trained with a Gaussian likelihood).
"""

from __future__ import annotations

import torch
from torch import nn

from chanest.models.base import check_int, check_ints
from chanest.models.blocks import ResidualBlock, conv_bn_relu
from chanest.models.corrected import BASES, Corrected

__all__ = ["CENet", "BASES"]


class CENet(Corrected):
    def __init__(self, channels: int = 32, blocks: int = 6, dilations: tuple[int, ...] = (1, 2, 4),
                 err_head: bool = False, base: str = "linear", base_options: dict | None = None):
        super().__init__()
        check_int("channels", channels, 1)
        check_int("blocks", blocks, 0)
        check_ints("dilations", dilations, 1)
        if not isinstance(err_head, bool):
            raise ValueError(f"err_head must be true or false, got {err_head!r}")
        c_in = self.set_base(base, base_options)
        self.head = conv_bn_relu(c_in, channels)
        self.body = nn.Sequential(*[ResidualBlock(channels, dilation=dilations[i % len(dilations)])
                                    for i in range(blocks)])
        self.out = nn.Conv2d(channels, 2, 3, padding=1)
        nn.init.zeros_(self.out.weight)  # start as the base estimate itself
        nn.init.zeros_(self.out.bias)
        self.err = nn.Conv2d(channels, 1, 3, padding=1) if err_head else None

    @property
    def has_err_head(self) -> bool:
        return self.err is not None

    def forward(self, x: torch.Tensor):
        z = self.body(self.head(x))  # [N, C, S, F]
        h = self.correct(x, self.out(z))  # [N, 2, S, F]
        if self.err is None:
            return h
        return h, self.err(z)  # log variance [N, 1, S, F]
