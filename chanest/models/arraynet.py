"""ArrayNet: a correction network that sees all antennas of a grid at once.

Every other model here refines one link [S, F] at a time, although the A antennas of an
array see the same few propagation paths, so their channels are strongly correlated
(Kronecker-type spatial covariance, cf. ``lmmse-kron``). ArrayNet keeps the per-link
base-plus-correction design of CENet (input: the per-antenna ``lmmse-adaptive`` estimate,
its log error variance, the linear interpolation, mask and SNR planes; output: base +
√ε · correction, the last layer zero at the start so an untrained ArrayNet *is* the base)
and interleaves its per-antenna residual blocks with steps that mix the antennas:

  Conv-BN-ReLU (per antenna, weights shared across antennas)
  → blocks × [ResidualBlock (per antenna, dilations 1, 2, 4, …) → antenna mixing]
  → Conv 3×3 → 2 (re, im), zero-initialised

Antenna mixing (``mixing``), on the features z [B, A, C, S, F], always residual and zero
at the start (so the first steps of training see the per-antenna network):

``dense``
    z + W ⊛ z with a learned A×A matrix per feature channel, Σ_b W[c, a, b] z[:, b, c]
    — the token-mixing step of MLP-Mixer (Tolstikhin et al., NeurIPS 2021) with the
    antennas as tokens; fixed array geometry, so a fixed mixing fits it.
``attention``
    z + MHA(LN(z + p)) per RE: multi-head self-attention (Vaswani et al., NeurIPS 2017)
    across the A antennas, with a learned position embedding p [A, C] (the antennas are
    not interchangeable), pre-norm as in Xiong et al. (ICML 2020).
``pooled``
    z + W_o Σ_b M_h[a, b] v_b per head h, with M_h[a, b] = cos(q_a, k_b) / A, the cosine
    similarity of antenna a's queries and antenna b's keys over all the grid's REs (q, k, v
    per-antenna 1×1 projections of z): linear attention (Katharopoulos et al., ICML 2020)
    whose antenna-by-antenna weights are pooled over the whole grid, i.e. a sample spatial
    correlation of learned features. Normalised so that |M| ≤ 1/A whatever the feature
    scale (unnormalised grid-mean products are cubic in z and diverged in training).
    Unlike ``dense`` (one fixed mixing for every grid, what a covariance averaged over all
    drops can give, cf. fitted ``lmmse-kron``) the mixing follows each grid's own directions
    of arrival; signed weights and several heads can act as a complex A×A filter on (re, im)
    feature pairs.
``none``
    no mixing: the per-antenna network alone (the ablation that shows what mixing adds).

Input [B·A, C_in, S, F] (the A links of each grid consecutive, one normalisation scale per
grid, see :class:`~chanest.estimators.neural.NeuralFrontEnd`); output [B·A, 2, S, F]. The
model is built for ``antennas`` = A and refuses data of another array (the front end
checks it).
"""

from __future__ import annotations

import torch
from torch import nn

from chanest.models.base import check_int, check_ints
from chanest.models.blocks import ResidualBlock, conv_bn_relu
from chanest.models.corrected import Corrected

__all__ = ["ArrayNet", "MIXINGS"]

MIXINGS = ("dense", "attention", "pooled", "none")


class DenseMixing(nn.Module):
    """z + Σ_b W[c, a, b] z[:, b, c]: [B, A, C, S, F] → same (W zero at the start)."""

    def __init__(self, antennas: int, channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(channels, antennas, antennas))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return z + torch.einsum("cab,nbcsf->nacsf", self.weight, z)


class AttentionMixing(nn.Module):
    """z + MHA(LN(z + p)) across antennas, per RE: [B, A, C, S, F] → same (the output
    projection zero at the start)."""

    def __init__(self, antennas: int, channels: int, heads: int):
        super().__init__()
        self.pos = nn.Parameter(0.02 * torch.randn(antennas, channels))
        self.norm = nn.LayerNorm(channels)
        self.attn = nn.MultiheadAttention(channels, heads, batch_first=True)
        nn.init.zeros_(self.attn.out_proj.weight)
        nn.init.zeros_(self.attn.out_proj.bias)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        B, A, C, S, F = z.shape
        t = z.permute(0, 3, 4, 1, 2).reshape(B * S * F, A, C)  # one token per antenna
        q = self.norm(t + self.pos)
        t = t + self.attn(q, q, q, need_weights=False)[0]
        return t.reshape(B, S, F, A, C).permute(0, 3, 4, 1, 2)


class PooledMixing(nn.Module):
    """z + W_o (M ⊛ v), M [B, H, A, A] the grid-mean of ⟨q_a, k_b⟩ per head:
    [B, A, C, S, F] → same (W_o zero at the start)."""

    def __init__(self, channels: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Conv2d(channels, 3 * channels, 1, bias=False)
        self.proj = nn.Conv2d(channels, channels, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def _qkv(self, z: torch.Tensor):
        B, A, C, S, F = z.shape
        return self.qkv(z.flatten(0, 1)).reshape(B, A, 3, self.heads, C // self.heads,
                                                 S * F).unbind(2)  # each [B, A, H, d, S·F]

    @staticmethod
    def _weights(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """M [B, H, A, A] = cos(q_a, k_b) / A over each grid's (feature, RE) values."""
        q = q / q.flatten(3).norm(dim=-1).clamp_min(1e-6)[..., None, None]
        k = k / k.flatten(3).norm(dim=-1).clamp_min(1e-6)[..., None, None]
        return torch.einsum("nahdr,nbhdr->nhab", q, k) / q.shape[1]

    def weights(self, z: torch.Tensor) -> torch.Tensor:
        """The per-grid antenna mixing weights M [B, H, A, A] of features z [B, A, C, S, F]."""
        q, k, _ = self._qkv(z)
        return self._weights(q, k)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        B, A, C, S, F = z.shape
        q, k, v = self._qkv(z)
        mixed = torch.einsum("nhab,nbhdr->nahdr", self._weights(q, k), v)  # [B, A, H, d, S·F]
        mixed = mixed.reshape(B * A, C, S, F)
        return z + self.proj(mixed).reshape(B, A, C, S, F)


class ArrayNet(Corrected):
    def __init__(self, antennas: int, channels: int = 24, blocks: int = 4,
                 dilations: tuple[int, ...] = (1, 2, 4), mixing: str = "dense", heads: int = 4,
                 base: str = "lmmse-adaptive", base_options: dict | None = None):
        super().__init__()
        check_int("antennas", antennas, 1)
        check_int("channels", channels, 1)
        check_int("blocks", blocks, 1)
        check_ints("dilations", dilations, 1)
        check_int("heads", heads, 1)
        if mixing not in MIXINGS:
            raise ValueError(f"mixing must be one of {', '.join(MIXINGS)}, got {mixing!r}")
        if mixing in ("attention", "pooled") and channels % heads:
            raise ValueError(f"heads must divide channels ({channels}) for {mixing} mixing, "
                             f"got {heads}")
        c_in = self.set_base(base, base_options)
        self.antennas, self.mixing = int(antennas), mixing
        self.head = conv_bn_relu(c_in, channels)
        self.body = nn.ModuleList(ResidualBlock(channels, dilation=dilations[i % len(dilations)])
                                  for i in range(blocks))
        self.mix = nn.ModuleList(self._mixer(channels, heads) for _ in range(blocks))
        self.out = nn.Conv2d(channels, 2, 3, padding=1)
        nn.init.zeros_(self.out.weight)  # start as the base estimate itself
        nn.init.zeros_(self.out.bias)

    def _mixer(self, channels: int, heads: int) -> nn.Module:
        if self.mixing == "dense":
            return DenseMixing(self.antennas, channels)
        if self.mixing == "attention":
            return AttentionMixing(self.antennas, channels, heads)
        if self.mixing == "pooled":
            return PooledMixing(channels, heads)
        return nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [B·A, C_in, S, F] → estimate [B·A, 2, S, F]."""
        S, F = x.shape[2:]
        z = self.head(x)  # [B·A, C, S, F]
        for block, mix in zip(self.body, self.mix):
            z = block(z)
            z = mix(z.reshape(-1, self.antennas, z.shape[1], S, F)).flatten(0, 1)
        return self.correct(x, self.out(z))
