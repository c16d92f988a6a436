"""Small building blocks shared by the models."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["conv_bn_relu", "ResidualBlock", "add_correction"]


def conv_bn_relu(c_in: int, c_out: int, kernel: int = 3, dilation: int = 1) -> nn.Sequential:
    """Conv(k×k, 'same' padding, no bias) → BatchNorm → ReLU: [N, c_in, H, W] → [N, c_out, H, W]."""
    pad = dilation * (kernel // 2)
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel, padding=pad, dilation=dilation, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class ResidualBlock(nn.Module):
    """x + Conv-BN-ReLU-Conv-BN(x), then ReLU (He et al. 2016): [N, C, H, W] → same."""

    def __init__(self, channels: int, dilation: int = 1, batch_norm: bool = True):
        super().__init__()
        pad = dilation
        norm = (lambda: nn.BatchNorm2d(channels)) if batch_norm else nn.Identity
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=pad, dilation=dilation, bias=not batch_norm),
            norm(),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=pad, dilation=dilation, bias=not batch_norm),
            norm(),
        )
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.act(x + self.body(x))


def add_correction(x: torch.Tensor, correction: torch.Tensor, scaled: bool) -> torch.Tensor:
    """The estimate x[:, :2] + correction [N, 2, S, F]; with ``scaled`` the correction is
    in units of the base's error, × √ε = exp(x[:, 2:3] / 2) (x[:, 2] the log of ε)."""
    if scaled:
        correction = correction * torch.exp(0.5 * x[:, 2:3])  # × √ε of the base
    return x[:, :2] + correction
