"""ReEsNet: the residual channel-estimation network of Li et al. (2019).

A residual network that works at the pilot resolution and upsamples to the
full grid at the end. Input: the LS pilot estimates arranged as a small image
[N, 2, Sp, Fp] (pilot symbols × pilots per symbol), so the mask must place the
same number of pilots on every pilot symbol. Output [N, 2, S, F].

  Conv 3×3 (2→C) → B × ResBlock(C, no BN) → Conv 3×3 (C→C) + skip
  → TransposedConv (C→C; stride and kernel chosen to reach S×F exactly)
  → Conv 3×3 (C→2)
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from chanest.models.base import Model, check_int, check_ints
from chanest.models.blocks import ResidualBlock, upsampler

__all__ = ["ReEsNet", "pilot_image_shape"]


def pilot_image_shape(mask: np.ndarray) -> tuple[int, int]:
    """(pilot symbols, pilots per symbol) of a mask [S, F] if every pilot symbol has the
    same count (ValueError otherwise)."""
    counts = mask.sum(axis=1)
    counts = counts[counts > 0]
    if len(set(counts.tolist())) != 1:
        raise ValueError("pilot-image models need the same number of pilots on every pilot "
                         f"symbol, got counts {sorted(set(counts.tolist()))}")
    return len(counts), int(counts[0])


class ReEsNet(Model):
    input_kind = "pilot-image"

    @classmethod
    def resolve_kwargs(cls, kwargs: dict, mask: np.ndarray) -> dict:
        """Fill in ``pilot_shape`` (the pilot image, see :func:`pilot_image_shape`) and
        ``grid_shape`` [S, F] from the mask unless given."""
        kwargs = dict(kwargs)
        kwargs.setdefault("pilot_shape", list(pilot_image_shape(mask)))
        kwargs.setdefault("grid_shape", list(mask.shape))
        return kwargs

    def __init__(self, pilot_shape: tuple[int, int], grid_shape: tuple[int, int],
                 filters: int = 16, blocks: int = 4):
        super().__init__()
        check_ints("pilot_shape", pilot_shape, 1, length=2)
        check_ints("grid_shape", grid_shape, 1, length=2)
        check_int("filters", filters, 1)
        check_int("blocks", blocks, 0)
        self.grid_shape = tuple(grid_shape)
        self.head = nn.Conv2d(2, filters, 3, padding=1)
        self.body = nn.Sequential(*[ResidualBlock(filters, batch_norm=False)
                                    for _ in range(blocks)])
        self.tail = nn.Conv2d(filters, filters, 3, padding=1)
        self.up = upsampler(filters, pilot_shape, grid_shape)
        self.out = nn.Conv2d(filters, 2, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.head(x)  # [N, C, Sp, Fp]
        z = z + self.tail(self.body(z))
        return self.out(self.up(z))  # [N, 2, S, F]
