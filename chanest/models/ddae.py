"""DDAE: a denoising convolutional autoencoder with skip connections.

A denoising autoencoder (P. Vincent et al., "Extracting and composing robust features
with denoising autoencoders", ICML 2008) maps a corrupted input to the clean signal
through a compressed representation; here the corrupted input is a classical channel
estimate and the encoder–decoder has U-Net skip connections (O. Ronneberger et al.,
"U-Net: convolutional networks for biomedical image segmentation", MICCAI 2015) so the
fine structure of the grid need not pass through the bottleneck. Written from those
descriptions; the sizes are chanest's.

Input: the planes of a classical base (:mod:`chanest.models.corrected`) [N, C, S, F],
zero-padded to a multiple of 2^L (L = len(widths) − 1).

  encoder level 0: 2 × Conv-BN-ReLU (C→W0)
  encoder level l: Conv 3×3 stride 2 (W(l−1)→Wl) → BN → ReLU → Conv-BN-ReLU
  decoder level l: TransposedConv 2×2 stride 2 (Wl→W(l−1)), concatenated with encoder
                   level l−1 → 2 × Conv-BN-ReLU (→W(l−1))
  → Conv 1×1 (W0→2)

gives a correction [N, 2, S, F] (padding cut off) added to the base estimate (last
layer zero at initialisation: the untrained model is the base itself).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from chanest.models.base import check_ints
from chanest.models.blocks import conv_bn_relu
from chanest.models.corrected import Corrected

__all__ = ["DDAE"]


def _down(c_in: int, c_out: int) -> nn.Sequential:
    """[N, c_in, H, W] → [N, c_out, H/2, W/2]."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True), conv_bn_relu(c_out, c_out))


class _Up(nn.Module):
    """(coarse [N, c_in, H/2, W/2], skip [N, c_out, H, W]) → [N, c_out, H, W]."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.up = nn.ConvTranspose2d(c_in, c_out, 2, stride=2)
        self.fuse = nn.Sequential(conv_bn_relu(2 * c_out, c_out), conv_bn_relu(c_out, c_out))

    def forward(self, coarse: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.fuse(torch.cat([self.up(coarse), skip], dim=1))


class DDAE(Corrected):
    def __init__(self, widths: tuple[int, ...] = (16, 32, 64), base: str = "linear",
                 base_options: dict | None = None):
        super().__init__()
        check_ints("widths", widths, 1)
        c_in = self.set_base(base, base_options)
        self.levels = len(widths) - 1
        self.inc = nn.Sequential(conv_bn_relu(c_in, widths[0]), conv_bn_relu(widths[0], widths[0]))
        self.downs = nn.ModuleList([_down(a, b) for a, b in zip(widths, widths[1:])])
        self.ups = nn.ModuleList([_Up(b, a) for a, b in zip(widths, widths[1:])])
        self.out = nn.Conv2d(widths[0], 2, 1)
        nn.init.zeros_(self.out.weight)  # start as the base estimate itself
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        S, Fq = x.shape[-2:]
        m = 2 ** self.levels
        z = self.inc(F.pad(x, (0, -Fq % m, 0, -S % m)))  # [N, W0, S', F'], S', F' multiples of m
        skips = []
        for down in self.downs:
            skips.append(z)
            z = down(z)
        for up, skip in zip(reversed(self.ups), reversed(skips)):
            z = up(z, skip)
        return self.correct(x, self.out(z)[:, :, :S, :Fq])  # [N, 2, S, F]
