"""ChannelNet (Soltani, Pourahmadi, Mirzaei, Sheikhzadeh, IEEE Commun. Lett. 2019).

Image super-resolution (SRCNN) followed by image denoising (DnCNN) applied to
the Gaussian-RBF interpolation of the LS pilot estimates. As in the paper, the
real and imaginary parts are processed as two separate one-channel images
(``complex_mode="separate"``); ``"stack"`` feeds them as two channels instead.

Layers (for one-channel images):
  SRCNN: Conv 9×9×64 → ReLU → Conv 1×1×32 → ReLU → Conv 5×5×1
  DnCNN: Conv 3×3×64 → ReLU → 18 × (Conv 3×3×64 → BN → ReLU) → Conv 3×3×1;
         output = input − predicted noise (residual learning)

Two-stage training (the paper's): stage ``srcnn`` trains and returns the SRCNN
output only; stage ``dncnn`` trains the DnCNN and returns the full cascade
(:meth:`ChannelNet.trainable_modules` tells the trainer what trains).
"""

from __future__ import annotations

import torch
from torch import nn

from chanest.models.base import Model, check_int
from chanest.models.blocks import conv_bn_relu

__all__ = ["ChannelNet", "SRCNN", "DnCNN"]


class SRCNN(nn.Module):
    """[N, c, S, F] → [N, c, S, F]."""

    def __init__(self, channels: int = 1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, 64, 9, padding=4), nn.ReLU(inplace=True),
            nn.Conv2d(64, 32, 1), nn.ReLU(inplace=True),
            nn.Conv2d(32, channels, 5, padding=2),
        )

    def forward(self, x):
        return self.net(x)


class DnCNN(nn.Module):
    """Residual denoiser, ``depth`` conv layers: [N, c, S, F] → [N, c, S, F]."""

    def __init__(self, channels: int = 1, depth: int = 20, features: int = 64):
        super().__init__()
        layers = [nn.Conv2d(channels, features, 3, padding=1), nn.ReLU(inplace=True)]
        layers += [conv_bn_relu(features, features) for _ in range(depth - 2)]
        layers += [nn.Conv2d(features, channels, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return x - self.net(x)


class ChannelNet(Model):
    """Input: RBF-interpolated LS grid [N, 2, S, F] (real, imag); output: [N, 2, S, F]."""

    input_kind = "interp-rbf"
    stages = ("srcnn", "dncnn")

    def __init__(self, complex_mode: str = "separate", dncnn_depth: int = 20):
        super().__init__()
        if complex_mode not in ("separate", "stack"):
            raise ValueError(f"complex_mode must be 'separate' or 'stack', got {complex_mode!r}")
        check_int("dncnn_depth", dncnn_depth, 2)
        self.complex_mode = complex_mode
        c = 1 if complex_mode == "separate" else 2
        self.srcnn = SRCNN(c)
        self.dncnn = DnCNN(c, depth=dncnn_depth)
        self.stage = "dncnn"

    def enter_stage(self, stage: str | None) -> None:
        """``srcnn``: the forward pass stops after the SRCNN; any other stage (``dncnn``,
        ``all``, None for a finished model) runs the full cascade."""
        self.stage = "srcnn" if stage == "srcnn" else "dncnn"

    def trainable_modules(self, stage: str) -> list[nn.Module]:
        """Modules trained in ``stage`` ("srcnn", "dncnn" or "all")."""
        return {"srcnn": [self.srcnn], "dncnn": [self.dncnn], "all": [self]}[stage]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        if self.complex_mode == "separate":
            x = x.reshape(n * 2, 1, *x.shape[2:])  # [2N, 1, S, F]
        out = self.srcnn(x)
        if self.stage != "srcnn":
            out = self.dncnn(out)
        return out.reshape(n, 2, *out.shape[2:])  # [N, 2, S, F]
