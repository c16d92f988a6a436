"""Data on a dataset's grids: QAM (optionally in 5G NR transport blocks) → channel → Sionna LMMSE
equalizer → demapper → bit and block errors.

A dataset holds the true channel h [B, U·A, S, F] (U users, A receive antennas; U = 1
without ``users:``) and the received pilots; the chain puts each user's QAM symbols on
every RE that is no user's pilot, receives their sum through h with fresh noise of the
grid's variance, and keeps the dataset's pilot observations, so every estimator sees
exactly the pilots it is evaluated on for NMSE. Detection is joint over the users
(Sionna's LMMSE equalizer with U streams). Equalization and demapping are
Sionna's (``LMMSEEqualizer`` with the estimator's ``err_var``, ``Demapper('app')``).

Coding (:class:`TransportCode`): one 5G NR transport block per grid and user, through
Sionna's ``TBEncoder``/``TBDecoder`` (TS 38.212/38.214): the transport-block size is
the 38.214 size for the grid's data bits at the code rate, with the transport-block CRC
(16 or 24 bits), code-block segmentation with per-block CRCs when it exceeds one LDPC
code block, LDPC encoding, rate matching to exactly the grid's data bits, interleaving
and scrambling. A block error is a transport block whose CRC fails at the receiver;
bit errors count the transport block's information bits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from chanest.schema import ConfigError

__all__ = ["MODULATIONS", "CODE_RATES", "LinkChain", "LinkErrors", "TransportCode"]

#: modulation name → bits per QAM symbol
MODULATIONS = {"qpsk": 2, "16qam": 4, "64qam": 6}
#: code rates TBEncoder accepts (948/1024: the highest target rate of the 38.214 MCS tables)
CODE_RATES = (0.2, 948 / 1024)


@dataclass
class LinkErrors:
    """Per grid and user: [B, U] bit errors and block errors; ``bits`` per block
    (information bits when coded)."""

    bit_errors: np.ndarray
    bits: int
    block_errors: np.ndarray


class TransportCode:
    """One transport block per grid (or per user): information bits ↔ the coded bits that
    fill ``coded_bits`` data bits. Uncoded (``rate`` None) it passes the bits through and
    a block error is a block with any wrong bit.

    Coded: Sionna's 5G NR ``TBEncoder``/``TBDecoder`` (module docstring), LDPC decoded
    with 20 belief-propagation iterations; a block error is a failed transport-block CRC.
    """

    def __init__(self, coded_bits: int, m: int, rate: float | None = None,
                 device: str = "cpu"):
        self.coded_bits, self.rate = coded_bits, rate
        #: transport-block size (information bits; all data bits uncoded)
        self.tb_size = coded_bits
        self.code_blocks, self.tb_crc_bits, self.cb_crc_bits = 0, 0, 0
        if rate is None:
            return
        from sionna.phy.nr import TBDecoder, TBEncoder
        from sionna.phy.nr.utils import calculate_tb_size

        lo, hi = CODE_RATES
        if not lo <= rate <= hi:
            raise ConfigError(f"must be in [{lo}, {hi:.4g}], got {rate}", arg="code_rate")
        tb_size, cb_size, blocks = (int(v) for v in calculate_tb_size(
            modulation_order=m, target_coderate=rate, num_coded_bits=coded_bits,
            return_cw_length=False)[:3])
        if blocks * cb_size > hi * coded_bits:  # even the smallest block (24 bits) + CRC
            raise ConfigError(f"{coded_bits // m} data REs hold too few bits for a "
                              "transport block at this rate", arg="code_rate")
        self._encoder = TBEncoder(tb_size, coded_bits, rate, m, device=device)
        self._decoder = TBDecoder(self._encoder, num_bp_iter=20, device=device)
        self.tb_size = self._encoder.tb_size
        self.code_blocks = self._encoder.num_cbs
        self.tb_crc_bits = int(self._encoder.tb_crc_encoder.crc_length)
        self.cb_crc_bits = 0 if self._encoder.cb_crc_encoder is None else \
            int(self._encoder.cb_crc_encoder.crc_length)

    @property
    def coded(self) -> bool:
        return self.rate is not None

    @property
    def info_bits(self) -> int:
        """Counted bits per block: the transport-block size when coded, else all data bits."""
        return self.tb_size

    def encode(self, info: torch.Tensor) -> torch.Tensor:
        """[..., info_bits] float bits → [..., coded_bits]."""
        return self._encoder(info) if self.coded else info

    def decode(self, llr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """[..., coded_bits] LLRs → ([..., info_bits] hard bits (float), [...] bool CRC
        passed, None uncoded)."""
        if not self.coded:
            return (llr > 0).float(), None
        bits, crc_ok = self._decoder(llr)
        return bits, crc_ok

    def errors(self, llr: torch.Tensor, info: torch.Tensor) -> tuple[torch.Tensor,
                                                                       torch.Tensor]:
        """Bit errors and block errors ([...] int64 each) of the blocks ``info``
        [..., info_bits] received as ``llr`` [..., coded_bits]."""
        bits, crc_ok = self.decode(llr)
        wrong = (bits != info.to(bits.dtype)).sum(-1)
        return wrong.long(), (wrong > 0 if crc_ok is None else ~crc_ok).long()


class LinkChain:
    """The transmit/receive chain of one dataset layout.

    Args:
        ctx: the dataset's :class:`~chanest.estimators.base.GridContext` (grid, pilots;
            U users when ``ctx.users`` is set).
        num_rx_ant: A.
        modulation: a key of :data:`MODULATIONS`.
        code_rate: None for uncoded bits, else the target code rate (:data:`CODE_RATES`).
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

        info = torch.randint(0, 2, (B, U, self.info_bits), generator=gen,
                             device=self.device).float()
        coded = self.code.encode(info)  # [B, U, S_data·m]
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
        wrong, block = self.code.errors(llr, info)  # [B, U] each
        return LinkErrors(wrong.cpu().numpy(), self.info_bits, block.cpu().numpy())
