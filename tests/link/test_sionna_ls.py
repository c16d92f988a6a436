"""ls-sionna / ls-sionna-pusch are Sionna's LS estimators: the same estimate for the same
received grid, and the same BLER inside Sionna's PUSCHReceiver, where ls-linear (2-D
Delaunay, no extrapolation, no pair averaging) is measurably worse."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chanest
from chanest.link.intervals import wilson
from chanest.schema import ConfigError

sionna = pytest.importorskip("sionna.phy")
from sionna.phy.nr import (  # noqa: E402 - after the importorskip above
    PUSCHConfig,
    PUSCHLSChannelEstimator,
    PUSCHReceiver,
    PUSCHTransmitter,
)
from sionna.phy.ofdm import LSChannelEstimator, ResourceGrid  # noqa: E402


def _pusch(length=1, additional_position=1, mcs=5):
    """One-layer PUSCH on 6 PRBs (72 subcarriers, no DC null), DM-RS type 1."""
    cfg = PUSCHConfig()
    cfg.carrier.n_size_grid = 6
    cfg.dmrs.length, cfg.dmrs.additional_position = length, additional_position
    cfg.tb.mcs_index = mcs
    return cfg, PUSCHTransmitter(cfg)


def _received(rg, batch=4, rx_ant=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 1, rx_ant, 14, rg.fft_size, generator=g, dtype=torch.complex64)


@pytest.mark.parametrize("length, additional_position", [(1, 1), (1, 3), (2, 1)])
def test_ls_sionna_pusch_gives_pusch_receivers_default_estimate(length, additional_position):
    cfg, tx = _pusch(length, additional_position)
    rg = tx.resource_grid
    y, no = _received(rg), torch.tensor(0.1)
    ref, _ = PUSCHLSChannelEstimator(rg, length, additional_position,
                                     cfg.dmrs.num_cdm_groups_without_data,
                                     interpolation_type="lin")(y, no)
    mine, _ = chanest.SionnaEstimator(rg, "ls-sionna-pusch", cdm_time=length)(y, no)
    torch.testing.assert_close(mine, ref, atol=2e-6, rtol=2e-6)
    other, _ = chanest.SionnaEstimator(rg, "ls-linear")(y, no)
    assert (other - ref).abs().max() > 0.1  # the check can tell estimators apart


@pytest.mark.parametrize("interpolation, options", [("lin", {}),
                                                    ("lin_time_avg", {"time_avg": True})])
def test_ls_sionna_gives_sionnas_ls_estimate_on_staggered_kronecker_pilots(interpolation,
                                                                           options):
    """Two streams on their own REs (Kronecker pilots on symbols 2 and 11), guards, no DC."""
    rg = ResourceGrid(num_ofdm_symbols=14, fft_size=76, subcarrier_spacing=15e3,
                      num_streams_per_tx=2, cyclic_prefix_length=6, num_guard_carriers=[3, 1],
                      pilot_pattern="kronecker", pilot_ofdm_symbol_indices=[2, 11])
    y, no = _received(rg, rx_ant=3), torch.tensor(0.05)
    ref, _ = LSChannelEstimator(rg, interpolation_type=interpolation)(y, no)
    mine, _ = chanest.SionnaEstimator(rg, "ls-sionna", **options)(y, no)
    torch.testing.assert_close(mine, ref, atol=2e-6, rtol=2e-6)


def test_cdm_time_needs_pilot_symbols_that_pair_up_in_one_line():
    _, tx = _pusch(1, 0)  # a single DM-RS symbol
    with pytest.raises(ConfigError, match="ls-sionna-pusch: cdm_time=2"):
        chanest.SionnaEstimator(tx.resource_grid, "ls-sionna-pusch", cdm_time=2)


def _block_errors(receivers, tx, snr_db, batches, batch_size, speed=60.0):
    """[receivers, batches] failed transport-block CRCs on the same slots: TDL-C 300 ns at
    ``speed`` m/s and 3.5 GHz, one receive antenna."""
    from sionna.phy import config
    from sionna.phy.channel import OFDMChannel
    from sionna.phy.channel.tr38901 import TDL

    config.seed = 1
    tdl = TDL("C", 300e-9, 3.5e9, min_speed=speed, max_speed=speed, num_rx_ant=1,
              num_tx_ant=1)
    channel = OFDMChannel(tdl, tx.resource_grid, add_awgn=True, normalize_channel=True)
    no = torch.tensor(10 ** (-snr_db / 10))
    errors = np.zeros((len(receivers), batches))
    for b in range(batches):
        y = channel(tx(batch_size)[0], no)
        for k, rx in enumerate(receivers):
            errors[k, b] = (~rx(y, no)[1]).sum().item()
    return errors


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_pusch_receiver_bler_with_ls_sionna_pusch_equals_its_default_on_fast_fading():
    """PUSCH, QPSK MCS 5 (640-bit transport blocks), DM-RS on symbols 2 and 11, TDL-C at
    60 m/s (700 Hz Doppler) and 3 dB: the adapter with ls-sionna-pusch lies within the
    95 % interval of the default receiver's BLER (about 0.42); ls-linear, which holds the
    symbols after the last DM-RS symbol constant, lies far above it (about 0.69)."""
    _, tx = _pusch()
    rg = tx.resource_grid
    receivers = [PUSCHReceiver(tx, return_tb_crc_status=True)] + [
        PUSCHReceiver(tx, channel_estimator=chanest.SionnaEstimator(rg, name),
                      return_tb_crc_status=True) for name in ("ls-sionna-pusch", "ls-linear")]
    errors = _block_errors(receivers, tx, 3.0, batches=8, batch_size=64)
    blocks = errors.shape[1] * 64
    bler, lo, hi = wilson(errors[0].sum(), blocks)
    assert 0.1 < bler < 0.9  # a regime where the estimate decides the BLER
    assert lo <= errors[1].sum() / blocks <= hi
    assert errors[2].sum() / blocks > hi
