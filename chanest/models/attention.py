"""Attention estimator: self-attention along frequency and along time over grid tokens.

In the style of the attention-based estimators of D. Luan and J. Thompson (HA02,
"Attention based neural networks for wireless channel estimation", IEEE VTC2022-Spring,
one of the baselines of the CeBed benchmark; Channelformer, IEEE Trans. Wireless
Commun., 2023), which apply multi-head self-attention to the pilot estimates before a
convolutional decoder. Written from those descriptions, not a reproduction: here every
RE of the interpolated grid is a token, and each block attends along frequency (within
each OFDM symbol) and then along time (within each subcarrier), i.e. axial attention,
so the cost grows as S·F·(S + F) rather than (S·F)².

Input: the planes of a classical base (:mod:`chanest.models.corrected`) [N, C, S, F].

  Conv 3×3 (C→D) → B × [depthwise Conv 3×3 position term (+ skip)
                        → TransformerBlock along F → TransformerBlock along S]
  → LayerNorm → Linear (D→2)

gives a correction [N, 2, S, F] added to the base estimate (last layer zero at
initialisation: the untrained model is the base itself). The convolutions give the
tokens their position (relative to the pilots and the grid edges); there is no learned
position table, so one model runs on any grid size.
"""

from __future__ import annotations

import torch
from torch import nn

from chanest.models.base import check_int
from chanest.models.corrected import Corrected
from chanest.models.transformer import TransformerBlock

__all__ = ["AxialAttention"]


class AxialBlock(nn.Module):
    """Position term, attention along frequency, attention along time: [N, D, S, F] → same."""

    def __init__(self, dim: int, heads: int, mlp_ratio: int):
        super().__init__()
        self.pos = nn.Conv2d(dim, dim, 3, padding=1, groups=dim)
        self.freq = TransformerBlock(dim, heads, mlp_ratio)
        self.time = TransformerBlock(dim, heads, mlp_ratio)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = z + self.pos(z)
        N, D, S, F = z.shape
        t = self.freq(z.permute(0, 2, 3, 1).reshape(N * S, F, D))  # tokens along F
        t = t.reshape(N, S, F, D).transpose(1, 2).reshape(N * F, S, D)
        t = self.time(t)  # tokens along S
        return t.reshape(N, F, S, D).permute(0, 3, 2, 1)  # [N, D, S, F]


class AxialAttention(Corrected):
    def __init__(self, dim: int = 32, heads: int = 4, blocks: int = 2, mlp_ratio: int = 2,
                 base: str = "linear", base_options: dict | None = None):
        super().__init__()
        check_int("dim", dim, 1)
        check_int("heads", heads, 1)
        check_int("blocks", blocks, 0)
        check_int("mlp_ratio", mlp_ratio, 1)
        c_in = self.set_base(base, base_options)
        self.stem = nn.Conv2d(c_in, dim, 3, padding=1)
        self.body = nn.Sequential(*[AxialBlock(dim, heads, mlp_ratio) for _ in range(blocks)])
        self.norm = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, 2)
        nn.init.zeros_(self.out.weight)  # start as the base estimate itself
        nn.init.zeros_(self.out.bias)

    def activation_bytes(self, S: int, F: int) -> int:
        """The largest attention of the blocks (S sequences of F tokens along frequency, F
        of S along time), plus the convolutional maps around it (the default)."""
        attention = max((max(b.freq.activation_bytes(S, F), b.time.activation_bytes(F, S))
                         for b in self.body), default=0)
        return attention + super().activation_bytes(S, F)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.body(self.stem(x))  # [N, D, S, F]
        correction = self.out(self.norm(z.permute(0, 2, 3, 1))).permute(0, 3, 1, 2)
        return self.correct(x, correction)  # [N, 2, S, F]
