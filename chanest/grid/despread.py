"""Per-stream LS values from pilots that several streams (users, ports) send on shared REs.

A set of Q pilot REs (flat row-major indices into an [S, W] grid) carries the pilot
symbols of K streams. With K = 1 the stream owns the REs and its LS values are
y/x there. With K > 1 the streams are separated by orthogonal cover codes (code
division, as NR DM-RS ports of one CDM group) over *tiles* of K REs:

* ``Kf`` consecutive pilot REs of one symbol (frequency cover, FD-OCC),
* on ``Kt`` adjacent pilot symbols at the same subcarriers (time cover, TD-OCC),
* with Kf·Kt = K; (K, 1), then (1, K), then the other factorizations are tried and the
  first whose codes are orthogonal on every tile is used (NR double-symbol DM-RS:
  2 × 2).

Each tile gives one LS value per stream, ``z = Σ_k conj(x_k) y_k / ‖x‖²``, placed at
the tile's centre (mean symbol and subcarrier, rounded down) with noise variance
``no / ‖x‖²``. This assumes the channel constant over a tile; a channel that varies
within a tile leaks between the streams of that tile.

Pure numpy, except :class:`Despreader` (applies one in torch); used by the multi-user
simulator (:mod:`chanest.grid.users`) and the Sionna
adapter (:mod:`chanest.link.layout`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chanest.schema import ConfigError

__all__ = ["Despread", "Despreader", "despread", "cover_codes", "tiles_of"]


@dataclass(frozen=True)
class Despread:
    """How one stream's LS values are made.

    chanest estimators see unit pilots at ``mask`` (row-major order) with observations
    ``z[p] = sum_k weights[p, k] · y[src[p, k]]`` and noise variance ``noise_gain · no``.

    Attributes:
        mask: [S, W] bool, the (virtual) pilot positions, P of them.
        src: [P, K] flat row-major indices into [S, W] of the REs behind each LS value.
        weights: [P, K] complex64, conj(x)/‖x‖² of those REs.
        noise_gain: noise variance of an LS value over ``no``.
    """

    mask: np.ndarray
    src: np.ndarray
    weights: np.ndarray
    noise_gain: float


class Despreader:
    """One stream's LS values from what the receiver sees (torch, on ``device``)::

        z, no_z = Despreader(src, weights, noise_gain)(y, no)
        # y [..., Q] at the REs ``src`` indexes → z [..., P]; no [...] → no·noise_gain
    """

    def __init__(self, src, weights, noise_gain: float, device="cpu"):
        import torch

        self.src = torch.as_tensor(src, device=device)  # [P, K]
        self.weights = torch.as_tensor(weights, device=device)  # [P, K]
        self.noise_gain = noise_gain

    @classmethod
    def of(cls, part: Despread, device="cpu") -> Despreader:
        return cls(part.src, part.weights, part.noise_gain, device)

    def __call__(self, y, no):
        return (y[..., self.src] * self.weights).sum(-1), no * self.noise_gain


def cover_codes(k: int) -> np.ndarray:
    """[K, K] orthogonal cover codes (row c: the code of stream c): Walsh-Hadamard for K a
    power of two (K = 2 gives NR's [+1 +1], [+1 −1]), DFT codes otherwise."""
    if k & (k - 1) == 0:
        h = np.ones((1, 1))
        while len(h) < k:
            h = np.block([[h, h], [h, -h]])
        return h.astype(np.complex128)
    n = np.arange(k)
    return np.exp(2j * np.pi * np.outer(n, n) / k)


def tiles_of(flat: np.ndarray, W: int, kf: int, kt: int) -> np.ndarray | None:
    """[G, kt·kf] positions into ``flat`` (sorted) of the tiles, or None when the RE set
    does not split into kf-runs of a symbol repeated on kt adjacent pilot symbols."""
    rows, cols = flat // W, flat % W
    symbols = np.unique(rows)
    if len(symbols) % kt:
        return None
    tiles = []
    for j in range(0, len(symbols), kt):
        if symbols[j + kt - 1] - symbols[j] != kt - 1:  # a time cover spans adjacent symbols
            return None
        block = [np.flatnonzero(rows == s) for s in symbols[j:j + kt]]
        n = len(block[0])
        if n % kf or any(not np.array_equal(cols[b], cols[block[0]]) for b in block):
            return None
        stacked = np.stack(block)  # [kt, n]
        tiles.append(stacked.reshape(kt, n // kf, kf).transpose(1, 0, 2).reshape(n // kf, -1))
    return np.concatenate(tiles)


def _factorizations(k: int) -> list[tuple[int, int]]:
    rest = [(f, k // f) for f in range(2, k) if k % f == 0]
    return [(k, 1)] + ([(1, k)] if k > 1 else []) + rest


def _orthogonal(codes: np.ndarray) -> bool:
    """Codes [G, n, K] orthogonal across the K streams on every tile."""
    gram = codes.conj().transpose(0, 2, 1) @ codes  # [G, K, K]
    off = gram * (1 - np.eye(codes.shape[-1]))
    return bool(np.abs(off).max() <= 1e-4 * np.abs(gram).max())


def _ls(tiles: np.ndarray, x: np.ndarray, S: int, W: int, what: str) -> Despread:
    """One stream's LS values on ``tiles`` [P, K] (flat indices) carrying ``x`` [P, K]."""
    norm = np.sum(np.abs(x) ** 2, axis=1)  # [P]
    if not np.allclose(norm, norm[0], rtol=1e-3):
        raise ConfigError(f"{what}: pilots of one stream must have constant modulus "
                          "(e.g. QPSK)")
    rows, cols = tiles // W, tiles % W
    centre = np.floor(rows.mean(1)).astype(int) * W + np.floor(cols.mean(1)).astype(int)
    mask = np.zeros(S * W, dtype=bool)
    mask[centre] = True
    order = np.argsort(centre)  # LS values in the row-major order of the mask
    return Despread(mask.reshape(S, W), tiles[order],
                    (x.conj() / norm[:, None])[order].astype(np.complex64), float(1 / norm[0]))


def despread(flat: np.ndarray, values: list[np.ndarray], S: int, W: int,
             what: str = "pilots", tiles: tuple[int, int] | None = None) -> list[Despread]:
    """LS values of K streams that send ``values`` (K arrays [Q]) on the RE set ``flat``
    [Q] (row-major indices into [S, W]); one :class:`Despread` per stream, in order.
    ``what`` names the field in errors (ConfigError for non-orthogonal codes);
    ``tiles`` = (Kf, Kt) fixes the tile shape instead of trying the factorizations."""
    order = np.argsort(flat)
    flat = np.asarray(flat)[order]
    values = [np.asarray(v, dtype=np.complex128)[order] for v in values]
    K = len(values)
    if K == 1:
        return [_ls(flat[:, None], values[0][:, None], S, W, what)]
    for kf, kt in ([tiles] if tiles else _factorizations(K)):
        pos = tiles_of(flat, W, kf, kt)
        if pos is None:
            continue
        codes = np.stack([v[pos] for v in values], axis=-1)  # [G, K REs, K streams]
        if _orthogonal(codes):
            return [_ls(flat[pos], v[pos], S, W, what) for v in values]
    raise ConfigError(f"{what}: {K} streams share pilot REs but their codes are not orthogonal "
                      f"over tiles of {K} adjacent pilot REs (in frequency, in time, or both)")
