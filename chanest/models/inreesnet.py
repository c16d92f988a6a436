"""InReEsNet: an interpolation-residual ReEsNet.

ReEsNet (L. Li, H. Chen, H.-H. Chang, L. Liu, "Deep residual learning meets OFDM
channel estimation", IEEE Wireless Commun. Lett., 2020) runs residual blocks on the
LS pilot estimates arranged as a small image and upsamples to the full grid with a
learned transposed convolution. Here the same pilot-resolution body and learned
upsampling produce a *correction* of an interpolated (or LMMSE) estimate rather than
the grid itself. Written from the ReEsNet paper's description; this residual-on-
interpolation arrangement and the layer sizes are chanest's, not a published
configuration.

The input planes of a classical base (:mod:`chanest.models.corrected`: the linear
interpolation, or the adaptive LMMSE estimate) are sampled at the pilot REs, arranged
as a pilot image [N, C, Sp, Fp] (same number of pilots on every pilot symbol), and

  Conv 3×3 (C→K) → B × ResBlock(K, no BN) → Conv 3×3 (K→K) + skip
  → TransposedConv (K→K, stride and kernel reaching S×F exactly) → Conv 3×3 (K→2)

gives a correction [N, 2, S, F] added to the base estimate (last layer zero at
initialisation: the untrained model is the base itself).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from chanest.models.base import check_int, check_ints
from chanest.models.blocks import ResidualBlock, upsampler
from chanest.models.corrected import Corrected
from chanest.models.reesnet import pilot_image_shape

__all__ = ["InReEsNet"]


class InReEsNet(Corrected):
    @classmethod
    def resolve_kwargs(cls, kwargs: dict, mask: np.ndarray) -> dict:
        """Fill in ``pilot_shape`` (see :func:`~chanest.models.reesnet.pilot_image_shape`),
        ``grid_shape`` [S, F] and ``pilot_index`` (row-major flat indices of the pilots in
        the mask [S, F]) unless given."""
        kwargs = dict(kwargs)
        kwargs.setdefault("pilot_shape", list(pilot_image_shape(mask)))
        kwargs.setdefault("grid_shape", list(mask.shape))
        kwargs.setdefault("pilot_index", np.flatnonzero(mask).tolist())
        return kwargs

    def __init__(self, pilot_shape: tuple[int, int], grid_shape: tuple[int, int],
                 pilot_index: list[int], filters: int = 16, blocks: int = 4,
                 base: str = "linear", base_options: dict | None = None):
        super().__init__()
        check_ints("pilot_shape", pilot_shape, 1, length=2)
        check_ints("grid_shape", grid_shape, 1, length=2)
        check_ints("pilot_index", pilot_index, 0, length=pilot_shape[0] * pilot_shape[1])
        if max(pilot_index) >= grid_shape[0] * grid_shape[1]:
            raise ValueError(f"pilot_index must lie inside grid_shape {list(grid_shape)}")
        check_int("filters", filters, 1)
        check_int("blocks", blocks, 0)
        c_in = self.set_base(base, base_options)
        self.pilot_shape = tuple(pilot_shape)
        self.register_buffer("pilot_index", torch.as_tensor(pilot_index, dtype=torch.long),
                             persistent=False)
        self.head = nn.Conv2d(c_in, filters, 3, padding=1)
        self.body = nn.Sequential(*[ResidualBlock(filters, batch_norm=False)
                                    for _ in range(blocks)])
        self.tail = nn.Conv2d(filters, filters, 3, padding=1)
        self.up = upsampler(filters, pilot_shape, grid_shape)
        self.out = nn.Conv2d(filters, 2, 3, padding=1)
        nn.init.zeros_(self.out.weight)  # start as the base estimate itself
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        N, C = x.shape[:2]
        p = x.flatten(2).index_select(2, self.pilot_index).reshape(N, C, *self.pilot_shape)
        z = self.head(p)  # [N, K, Sp, Fp]
        z = z + self.tail(self.body(z))
        return self.correct(x, self.out(self.up(z)))  # [N, 2, S, F]
