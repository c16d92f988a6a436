"""MTRE: a masked-image-modelling transformer (ViT-style) refining a base estimate.

The grid is treated as an image whose non-pilot REs are the masked pixels, in the
spirit of masked image modelling (K. He et al., "Masked autoencoders are scalable
vision learners", CVPR 2022) with a vision-transformer encoder (A. Dosovitskiy et al.,
"An image is worth 16x16 words", ICLR 2021) as in the ViT-based channel estimators.
Written from those descriptions; there is no self-supervised pre-training here, the
network trains with chanest's objective like every other model.

Input: the planes of a classical base (:mod:`chanest.models.corrected`) [N, C, S, F],
zero-padded to a multiple of ``patch`` = (Ps, Pf) and cut into T = ⌈S/Ps⌉·⌈F/Pf⌉
patches.

  patch embedding (Conv Ps×Pf, stride Ps×Pf, C→D) + learned position table [T, D]
  → B × TransformerBlock → LayerNorm → linear patch decoder (D → 2·Ps·Pf)

gives a correction [N, 2, S, F] (padding cut off) added to the base estimate (decoder
zero at initialisation: the untrained model is the base itself). The position table
ties the model to ``grid_shape``. The defaults have about 0.14 M parameters;
``dim: 128, blocks: 6`` is the ~1 M-parameter setting.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from chanest.models.base import check_int, check_ints
from chanest.models.corrected import Corrected
from chanest.models.transformer import TransformerBlock

__all__ = ["MTRE"]


class MTRE(Corrected):
    @classmethod
    def resolve_kwargs(cls, kwargs: dict, mask: np.ndarray) -> dict:
        """Fill in ``grid_shape`` [S, F] from the mask unless given."""
        return {"grid_shape": list(mask.shape), **kwargs}

    def __init__(self, grid_shape: tuple[int, int], patch: tuple[int, int] = (2, 4),
                 dim: int = 64, heads: int = 4, blocks: int = 4, mlp_ratio: int = 2,
                 base: str = "linear", base_options: dict | None = None):
        super().__init__()
        check_ints("grid_shape", grid_shape, 1, length=2)
        check_ints("patch", patch, 1, length=2)
        check_int("dim", dim, 1)
        check_int("heads", heads, 1)
        check_int("blocks", blocks, 0)
        check_int("mlp_ratio", mlp_ratio, 1)
        c_in = self.set_base(base, base_options)
        self.grid_shape, self.patch = tuple(grid_shape), tuple(patch)
        self.tiles = tuple(-(-g // p) for g, p in zip(grid_shape, patch))  # patches per axis
        self.embed = nn.Conv2d(c_in, dim, self.patch, stride=self.patch)
        self.position = nn.Parameter(torch.zeros(1, self.tiles[0] * self.tiles[1], dim))
        nn.init.normal_(self.position, std=0.02)
        self.body = nn.Sequential(*[TransformerBlock(dim, heads, mlp_ratio)
                                    for _ in range(blocks)])
        self.norm = nn.LayerNorm(dim)
        self.decode = nn.Linear(dim, 2 * self.patch[0] * self.patch[1])
        nn.init.zeros_(self.decode.weight)  # start as the base estimate itself
        nn.init.zeros_(self.decode.bias)

    def activation_bytes(self, S: int, F: int) -> int:
        """One block over the T patch tokens of the model's own grid, plus the
        convolutional maps of an [S, F] grid (the default)."""
        tokens = self.tiles[0] * self.tiles[1]
        attention = max((b.activation_bytes(1, tokens) for b in self.body), default=0)
        return attention + super().activation_bytes(S, F)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        N = x.shape[0]
        (S, Fq), (ps, pf), (ts, tf) = self.grid_shape, self.patch, self.tiles
        padded = F.pad(x, (0, tf * pf - Fq, 0, ts * ps - S))  # [N, C, ts·ps, tf·pf]
        t = self.embed(padded).flatten(2).transpose(1, 2) + self.position  # [N, T, D]
        p = self.decode(self.norm(self.body(t)))  # [N, T, 2·ps·pf]
        p = p.reshape(N, ts, tf, 2, ps, pf).permute(0, 3, 1, 4, 2, 5)
        correction = p.reshape(N, 2, ts * ps, tf * pf)[:, :, :S, :Fq]
        return self.correct(x, correction)  # [N, 2, S, F]
