"""Small building blocks shared by the models."""

from __future__ import annotations

from torch import nn

__all__ = ["conv_bn_relu", "ResidualBlock", "upsampler"]


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


def upsampler(channels: int, pilot_shape, grid_shape) -> nn.ConvTranspose2d:
    """Transposed conv [N, C, Sp, Fp] → [N, C, S, F] for a pilot image ``pilot_shape``
    (Sp, Fp) and a grid ``grid_shape`` (S, F); ValueError if the image is larger.

    out = (in − 1)·stride + kernel; the largest stride with kernel >= stride covers every
    output position (no empty rows or columns)."""
    (sp, fp), (s, f) = pilot_shape, grid_shape
    if sp > s or fp > f:
        raise ValueError(f"cannot upsample a pilot_shape {list(pilot_shape)} image to "
                         f"grid_shape {list(grid_shape)}")
    stride = (s // sp, f // fp)
    kernel = (s - (sp - 1) * stride[0], f - (fp - 1) * stride[1])
    return nn.ConvTranspose2d(channels, channels, kernel, stride=stride)
