"""Data on a dataset's grids: QAM (optionally 5G LDPC coded) → channel → Sionna LMMSE
equalizer → demapper → bit and block errors.

A dataset holds the true channel h [B, U·A, S, F] (U users, A receive antennas; U = 1
without ``users:``) and the received pilots; the chain puts each user's QAM symbols on
every RE that is no user's pilot, receives their sum through h with fresh noise of the
grid's variance, and keeps the dataset's pilot observations, so every estimator sees
exactly the pilots it is evaluated on for NMSE. Detection is joint over the users
(Sionna's LMMSE equalizer with U streams). Equalization and demapping are
Sionna's (``LMMSEEqualizer`` with the estimator's ``err_var``, ``Demapper('app')``).

Coding (:class:`TransportCode`): one transport block per grid and user. Its coded bits fill the
grid's data REs; it is split into C equal LDPC codewords (5G base graph chosen by
Sionna) with k = round(rate·n) ≤ 8448 information bits each; leftover REs carry
uncoded filler bits that are not counted. A block error is a user's block with any wrong
information bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from chanest.schema import ConfigError

__all__ = ["MODULATIONS", "LinkChain", "LinkErrors", "TransportCode"]

#: modulation name → bits per QAM symbol
MODULATIONS = {"qpsk": 2, "16qam": 4, "64qam": 6}
_MAX_K = 8448  # largest 5G LDPC information block


@dataclass
class LinkErrors:
    """Per grid and user: [B, U] bit errors and block errors; ``bits`` per block
    (information bits when coded)."""

    bit_errors: np.ndarray
    bits: int
    block_errors: np.ndarray


def _codeword_split(coded_bits: int, rate: float, m: int) -> tuple[int, int, int]:
    """(C codewords, n coded bits each, k info bits each) filling ``coded_bits``."""
    c = max(1, math.ceil(coded_bits * rate / _MAX_K))
    while True:
        n = (coded_bits // c) // m * m  # whole QAM symbols per codeword
        k = int(round(rate * n))
        if k <= _MAX_K:
            return c, n, k
        c += 1


class TransportCode:
    """One transport block per grid (or per user): information bits ↔ the coded bits that
    fill ``coded_bits`` data bits. Uncoded (``rate`` None) it passes the bits through.

    Coded: C 5G LDPC codewords of n bits with k information bits each
    (:func:`_codeword_split`); leftover bits are random filler, not counted.
    """

    def __init__(self, coded_bits: int, m: int, rate: float | None = None,
                 device: str = "cpu"):
        self.coded_bits, self.rate = coded_bits, rate
        self.codewords, self.n, self.k = 1, coded_bits, coded_bits
        if rate is None:
            return
        from sionna.phy.fec.ldpc import LDPC5GDecoder, LDPC5GEncoder

        if not 0.2 <= rate <= 0.95:
            raise ConfigError(f"must be in [0.2, 0.95], got {rate}", arg="code_rate")
        self.codewords, self.n, self.k = _codeword_split(coded_bits, rate, m)
        if self.k < 12:
            raise ConfigError(f"{coded_bits // m} data REs hold too few "
                              "bits for an LDPC codeword at this rate", arg="code_rate")
        self._encoder = LDPC5GEncoder(self.k, self.n, num_bits_per_symbol=m, device=device)
        self._decoder = LDPC5GDecoder(self._encoder, hard_out=True, num_iter=20,
                                      device=device)

    @property
    def coded(self) -> bool:
        return self.rate is not None

    @property
    def info_bits(self) -> int:
        """Counted bits per block: information bits when coded, else all data bits."""
        return self.codewords * self.k

    def encode(self, info: torch.Tensor, random_bits) -> torch.Tensor:
        """[..., info_bits] float bits → [..., coded_bits]; ``random_bits(shape)`` draws
        the filler."""
        if not self.coded:
            return info
        lead = info.shape[:-1]
        cw = self._encoder(info.reshape(*lead, self.codewords, self.k)).reshape(*lead, -1)
        return torch.cat([cw, random_bits((*lead, self.coded_bits - cw.shape[-1]))], -1)

    def decode(self, llr: torch.Tensor) -> torch.Tensor:
        """[..., coded_bits] LLRs → [..., info_bits] hard bits (float)."""
        if not self.coded:
            return (llr > 0).float()
        lead = llr.shape[:-1]
        used = llr[..., :self.codewords * self.n].reshape(*lead, self.codewords, self.n)
        return self._decoder(used).reshape(*lead, -1)


class LinkChain:
    """The transmit/receive chain of one dataset layout.

    Args:
        ctx: the dataset's :class:`~chanest.estimators.base.GridContext` (grid, pilots;
            U users when ``ctx.users`` is set).
        num_rx_ant: A.
        modulation: a key of :data:`MODULATIONS`.
        code_rate: None for uncoded bits, else the LDPC code rate (1/5 … 0.95).
        device: torch device.
    """

    def __init__(self, ctx, num_rx_ant: int, modulation: str = "qpsk",
                 code_rate: float | None = None, device: str = "cpu"):
        from sionna.phy.mapping import Demapper, Mapper
        from sionna.phy.mimo import StreamManagement
        from sionna.phy.ofdm import LMMSEEqualizer, ResourceGridMapper

        from chanest.grid.ofdm import to_sionna_resource_grid

        if modulation not in MODULATIONS:
            raise ConfigError(f"must be one of {', '.join(MODULATIONS)}, "
                              f"got {modulation!r}", arg="modulation")
        self.modulation, self.m = modulation, MODULATIONS[modulation]
        self.device = device
        self.num_rx_ant = num_rx_ant
        self.num_users = 1 if ctx.users is None else ctx.users.count
        self.rg = to_sionna_resource_grid(ctx.grid, ctx.mask, ctx.pilots)
        self.num_data = int(self.rg.num_data_symbols)
        self._mapper = Mapper("qam", self.m, device=device)
        self._rgm = ResourceGridMapper(self.rg, device=device)
        self._eq = LMMSEEqualizer(self.rg, StreamManagement(np.ones([1, 1]), self.num_users),
                                  device=device)
        self._demapper = Demapper("app", "qam", self.m, device=device)
        self._pilot_idx = torch.as_tensor(ctx.pilot_idx, device=device)
        self.code = TransportCode(self.num_data * self.m, self.m,
                                  None if code_rate is None else float(code_rate), device)

    @property
    def info_bits(self) -> int:
        """Counted bits per grid (see :class:`TransportCode`)."""
        return self.code.info_bits

    def transmit(self, h: torch.Tensor, y_pilots: torch.Tensor, no: torch.Tensor,
                 gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Bits and the received grid.

        Args:
            h: [B, U·A, S, F] complex64 true channel.  y_pilots: [B, A, P] dataset pilots.
            no: [B] noise variance.  gen: generator for bits and noise (on ``device``).

        Returns:
            info [B, U, K] float bits (K = :attr:`info_bits`), y [B, 1, A, S, F] complex64.
        """
        B, _, S, F = h.shape
        U, A = self.num_users, self.num_rx_ant

        def random_bits(shape):
            return torch.randint(0, 2, shape, generator=gen, device=self.device).float()

        info = random_bits((B, U, self.info_bits))
        coded = self.code.encode(info, random_bits)  # [B, U, S_data·m]
        x = self._rgm(self._mapper(coded.reshape(B, 1, U, -1)))[:, 0]  # [B, U, S, F]
        noise = torch.randn(B, A, S, F, generator=gen, device=self.device,
                            dtype=torch.complex64) * no.sqrt()[:, None, None, None]
        y = (h.reshape(B, U, A, S, F) * x[:, :, None]).sum(1) + noise  # [B, A, S, F]
        y = y.reshape(B, A, S * F)
        y[..., self._pilot_idx] = y_pilots  # the dataset's pilot observations
        return info, y.reshape(B, 1, A, S, F)

    def receive(self, y: torch.Tensor, h_hat: torch.Tensor, err_var: torch.Tensor,
                no: torch.Tensor, info: torch.Tensor) -> LinkErrors:
        """Equalize jointly with an estimate ([B, U·A, S, F] each), demap, decode, count
        errors per user."""
        B, U, A = h_hat.shape[0], self.num_users, self.num_rx_ant
        S, F = h_hat.shape[2:]

        def sionna_shape(t):  # [B, U·A, S, F] → [B, rx 1, A, tx 1, streams U, S, F]
            return t.reshape(B, U, A, S, F).transpose(1, 2).reshape(B, 1, A, 1, U, S, F)

        no_rx = no.reshape(B, 1, 1).expand(B, 1, A)
        x_hat, no_eff = self._eq(y, sionna_shape(h_hat), sionna_shape(err_var), no_rx)
        llr = self._demapper(x_hat, no_eff).reshape(B, U, -1)  # [B, U, S_data·m]
        wrong = (self.code.decode(llr) != info).sum(-1)  # [B, U]
        return LinkErrors(wrong.cpu().numpy().astype(np.int64), self.info_bits,
                          (wrong > 0).cpu().numpy().astype(np.int64))
