"""Transformer pieces shared by the attention models (tokens [B, T, D]).

Attention is written with plain matrix products (no fused kernel) so that the
``complexity`` command counts its multiply-accumulates and the graph exports as is.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["SelfAttention", "TransformerBlock"]


class SelfAttention(nn.Module):
    """Multi-head scaled dot-product self-attention (Vaswani et al. 2017):
    [B, T, D] → [B, T, D]."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        if dim % heads:
            raise ValueError(f"heads must divide dim, got dim {dim} and heads {heads}")
        self.heads, self.scale = heads, 1.0 / math.sqrt(dim // heads)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, D = x.shape
        qkv = self.qkv(x).reshape(B, T, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # [B, heads, T, D/heads] each
        att = torch.softmax((q * self.scale) @ k.transpose(-2, -1), dim=-1)  # [B, h, T, T]
        return self.proj((att @ v).transpose(1, 2).reshape(B, T, D))  # [B, T, D]


class TransformerBlock(nn.Module):
    """Pre-norm block: x + Attn(LN(x)), then + MLP(LN(x)) with a GELU hidden layer of
    ``mlp_ratio``·D units: [B, T, D] → [B, T, D]."""

    def __init__(self, dim: int, heads: int, mlp_ratio: int = 2):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_ratio * dim), nn.GELU(),
                                 nn.Linear(mlp_ratio * dim, dim))

    def activation_bytes(self, sequences: int, tokens: int) -> int:
        """Float32 working memory (bytes, an upper estimate) of one forward pass over
        ``sequences`` sequences of ``tokens`` tokens: the scores and their softmax
        [sequences, heads, T, T], and about (10 + 2·mlp_ratio)·D values per token (q, k, v
        and their head-major copies, the attention output, the norms, the MLP hidden layer
        before and after its GELU, the residual)."""
        dim, hidden = self.norm1.normalized_shape[0], self.mlp[0].out_features
        per_sequence = (2 * self.attn.heads * tokens * tokens
                        + (10 * dim + 2 * hidden) * tokens)
        return 4 * sequences * per_sequence

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))

