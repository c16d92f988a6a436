"""CENet, chanest's own estimator network.

One model for the whole SNR range: besides the (per-sample normalised)
linear interpolation of the LS pilots, it sees the pilot mask and the noise
level as two extra input planes, so it knows where the input is measured and
how much to trust it. Conv-BN-ReLU residual blocks with dilations 1, 2, 4, …
give a receptive field that spans the pilot spacing in both directions
without pooling; the output is a correction added to the interpolation.

Input  [N, 4, S, F]: re, im of the interpolated grid; mask (1 at pilots);
                     SNR plane (10·log10(1/no_normalised) / 30).
Output [N, 2, S, F] (re, im) and, with ``err_head=True``, [N, 1, S, F] log
error variance per RE (trained with a Gaussian likelihood).
"""

from __future__ import annotations

import torch
from torch import nn

from chanest.models.blocks import ResidualBlock, conv_bn_relu

__all__ = ["CENet"]


class CENet(nn.Module):
    input_kind = "interp-linear+mask+snr"

    def __init__(self, channels: int = 32, blocks: int = 6, dilations: tuple[int, ...] = (1, 2, 4),
                 err_head: bool = False):
        super().__init__()
        self.head = conv_bn_relu(4, channels)
        self.body = nn.Sequential(*[ResidualBlock(channels, dilation=dilations[i % len(dilations)])
                                    for i in range(blocks)])
        self.out = nn.Conv2d(channels, 2, 3, padding=1)
        nn.init.zeros_(self.out.weight)  # start as the interpolation itself
        nn.init.zeros_(self.out.bias)
        self.err = nn.Conv2d(channels, 1, 3, padding=1) if err_head else None

    @property
    def has_err_head(self) -> bool:
        return self.err is not None

    def forward(self, x: torch.Tensor):
        z = self.body(self.head(x))  # [N, C, S, F]
        h = x[:, :2] + self.out(z)  # [N, 2, S, F]
        if self.err is None:
            return h
        return h, self.err(z)  # log variance [N, 1, S, F]
