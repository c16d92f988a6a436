"""chanest.SionnaEstimator: Sionna shapes, guard carriers and DC null, multi-stream
pilots, and BER inside a real Sionna chain against Sionna's own LS estimator."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chanest
from chanest.data.context import context_from_simulator
from chanest.data.scenario import Scenario
from chanest.data.simulate import Simulator
from chanest.estimators.base import Observation
from chanest.estimators.registry import build_estimator
from chanest.schema import ConfigError

sionna = pytest.importorskip("sionna.phy")
from sionna.phy.ofdm import (  # noqa: E402 - after the importorskip above
    LMMSEEqualizer,
    LSChannelEstimator,
    PilotPattern,
    ResourceGrid,
    ResourceGridMapper,
)

TDL_SCENARIO = {"grid": {"preset": None, "num_subcarriers": 72, "num_symbols": 14,
                         "subcarrier_spacing": 15e3, "carrier_frequency": 2.6e9},
                "pilots": {"pattern": "block", "symbols": [2]},
                "channel": {"models": [{"model": "tdl", "profile": "A", "delay_spread_ns": 100,
                                        "speed_mps": 3}]}}


def _grid(num_streams=2, guards=(2, 1), dc_null=True):
    """Kronecker pilots (random QPSK drawn from Sionna's generator, seeded here)."""
    from chanest.seeding import sionna_rng_seeded

    with sionna_rng_seeded("cpu", 0):
        return ResourceGrid(num_ofdm_symbols=14, fft_size=72 + sum(guards) + dc_null,
                            subcarrier_spacing=15e3, num_tx=1, num_streams_per_tx=num_streams,
                            cyclic_prefix_length=6, num_guard_carriers=list(guards),
                            dc_null=dc_null,
                            pilot_pattern="kronecker", pilot_ofdm_symbol_indices=[2, 11])


def test_outputs_have_sionnas_shapes_and_a_flat_noiseless_channel_is_recovered():
    rg = _grid()
    est = chanest.SionnaEstimator(rg, "ls-linear")
    ref_h, ref_e = LSChannelEstimator(rg, interpolation_type="lin")(
        torch.zeros(3, 2, 4, 14, rg.fft_size, dtype=torch.complex64), torch.tensor(0.1))
    # y = h x on every RE with h = 0.6 - 0.8j on every link: the pilot REs carry x_p
    x = torch.zeros(2, 14, rg.num_effective_subcarriers, dtype=torch.complex64)
    mask = rg.pilot_pattern.mask[0].bool()  # [N, S, F_eff]
    x[mask] = rg.pilot_pattern.pilots[0].reshape(-1).to(x.dtype)  # zeros: the other stream's
    full = torch.zeros(14, rg.fft_size, dtype=torch.complex64)
    full[:, torch.as_tensor(rg.effective_subcarrier_ind)] = x.sum(0)
    y = ((0.6 - 0.8j) * full).expand(3, 2, 4, 14, rg.fft_size)
    h_hat, err_var = est(y, torch.tensor(1e-6))
    assert h_hat.shape == ref_h.shape == (3, 2, 4, 1, 2, 14, 72)
    assert err_var.shape == ref_h.shape and err_var.dtype == torch.float32
    torch.testing.assert_close(h_hat, torch.full_like(h_hat, 0.6 - 0.8j), atol=1e-4, rtol=0)


def test_adapter_equals_the_chanest_estimator_on_a_grid_without_guards():
    """On a chanest layout (no guards, no DC), the adapter gives the estimator's own output."""
    scn = Scenario()
    sim = Simulator(scn)
    ctx = context_from_simulator(sim)
    from chanest.grid.ofdm import to_sionna_resource_grid

    rg = to_sionna_resource_grid(scn.grid, sim.mask, sim.pilots)
    g = torch.Generator().manual_seed(0)
    y_full = torch.randn(8, 1, 2, 14, 72, generator=g, dtype=torch.complex64)
    no = torch.rand(8, generator=g) * 0.1 + 0.01
    for name in ("lmmse-adaptive", "pretrained:cenet-lte-mixture"):
        mine = chanest.SionnaEstimator(rg, name)
        h_hat, err_var = mine(y_full, no[:, None, None])
        direct = build_estimator(name, ctx).estimate(
            Observation(y_full.reshape(8, 2, -1)[..., sim.pilot_idx], no))
        torch.testing.assert_close(h_hat[:, 0, :, 0, 0], direct.h_hat)
        torch.testing.assert_close(err_var[:, 0, :, 0, 0], direct.err_var)


def _chain_ber(estimators, rg, batches=4, batch_size=64, snr_db=10.0, num_rx_ant=2):
    """Bit errors per batch [n_est+1, batches] (last row: perfect CSI) and bits per batch,
    for QPSK over TDL-A with the grid's streams and ``num_rx_ant`` receive antennas,
    LMMSE equalization."""
    from sionna.phy import config
    from sionna.phy.channel import OFDMChannel
    from sionna.phy.channel.tr38901 import TDL
    from sionna.phy.mapping import BinarySource, Demapper, Mapper
    from sionna.phy.mimo import StreamManagement

    config.seed = 7
    n = rg.num_streams_per_tx
    tdl = TDL("A", 100e-9, 2.6e9, min_speed=3.0, max_speed=3.0, num_rx_ant=num_rx_ant,
              num_tx_ant=n)
    channel = OFDMChannel(tdl, rg, add_awgn=True, normalize_channel=True, return_channel=True)
    source, mapper, rgm = BinarySource(), Mapper("qam", 2), ResourceGridMapper(rg)
    eq = LMMSEEqualizer(rg, StreamManagement(np.ones([1, 1]), n))
    demapper = Demapper("app", "qam", 2, hard_out=True)
    no = torch.tensor(10 ** (-snr_db / 10))
    eff = torch.as_tensor(rg.effective_subcarrier_ind)
    errors = np.zeros((len(estimators) + 1, batches))
    for i in range(batches):
        bits = source([batch_size, 1, n, rg.num_data_symbols * 2])
        y, h = channel(rgm(mapper(bits)), no)
        for k, est in enumerate([*estimators, None]):
            h_hat, err_var = (h[..., eff], torch.zeros(1)) if est is None else est(y, no)
            x_hat, no_eff = eq(y, h_hat, err_var, no)
            errors[k, i] = (demapper(x_hat, no_eff) != bits).sum().item()
    return errors, bits.numel()


def _assert_ls_matches_and_lmmse_beats(errors, bits):
    """Rows of ``errors``: the Sionna LS reference, chanest ls-linear, chanest lmmse, perfect
    CSI. ls-linear's BER within 3 standard errors (over batches) of the reference; lmmse
    better than the reference on paired differences. Returns the BERs."""
    ber = errors.sum(1) / (bits * errors.shape[1])
    se = errors.std(1, ddof=1) / np.sqrt(errors.shape[1]) / bits  # over batches
    assert ber[-1] < ber[2] < ber[0]  # perfect CSI < lmmse < LS
    assert abs(ber[1] - ber[0]) < 3 * np.hypot(se[0], se[1])
    gain = errors[0] - errors[2]  # paired: the same bits, channels and noise
    assert gain.mean() > 3 * gain.std(ddof=1) / np.sqrt(gain.size)
    return ber


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_ls_linear_matches_sionnas_ls_ber_and_lmmse_beats_it_in_a_sionna_chain():
    rg = _grid()
    ests = [LSChannelEstimator(rg, interpolation_type="lin"),
            chanest.SionnaEstimator(rg, "ls-linear"),
            chanest.SionnaEstimator(rg, "lmmse", scenario=TDL_SCENARIO)]
    _assert_ls_matches_and_lmmse_beats(*_chain_ber(ests, rg))


def _dmrs_chain_ber(ports, length, additional_position, **chain):
    """_chain_ber of Sionna's PUSCH LS (linear), chanest ls-linear and lmmse for one
    transmitter whose layers use DM-RS ``ports`` (type 1, ``length`` 1 or 2 symbols)."""
    from sionna.phy.nr import PUSCHConfig, PUSCHLSChannelEstimator, PUSCHPilotPattern

    cfg = PUSCHConfig()
    cfg.carrier.n_size_grid = 6
    cfg.num_layers = cfg.num_antenna_ports = len(ports)
    cfg.dmrs.length, cfg.dmrs.additional_position = length, additional_position
    cfg.dmrs.dmrs_port_set = list(ports)
    rg = ResourceGrid(num_ofdm_symbols=14, fft_size=72, subcarrier_spacing=15e3,
                      num_streams_per_tx=len(ports), cyclic_prefix_length=5,
                      pilot_pattern=PUSCHPilotPattern([cfg]))
    ests = [PUSCHLSChannelEstimator(rg, length, additional_position,
                                    cfg.dmrs.num_cdm_groups_without_data,
                                    interpolation_type="lin"),
            chanest.SionnaEstimator(rg, "ls-linear"),
            chanest.SionnaEstimator(rg, "lmmse", scenario=TDL_SCENARIO)]
    return _chain_ber(ests, rg, **chain)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_code_division_dmrs_ports_are_despread_like_sionnas_pusch_ls_and_lmmse_beats_it():
    """2 layers on DM-RS ports 0 and 1: one CDM group, FD-OCC."""
    _assert_ls_matches_and_lmmse_beats(*_dmrs_chain_ber([0, 1], 1, 1))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_double_symbol_dmrs_time_and_frequency_cover_is_despread_like_sionnas_pusch_ls():
    """4 layers on ports 0, 1, 4, 5 of double-symbol DM-RS (symbols 2-3 and 10-11): one CDM
    group, FD-OCC × TD-OCC in 2 × 2 tiles; 4 receive antennas for the 4 layers."""
    _assert_ls_matches_and_lmmse_beats(*_dmrs_chain_ber([0, 1, 4, 5], 2, 1, num_rx_ant=4))


def test_non_orthogonal_or_partly_shared_pilots_bounds_and_other_objects_are_refused():
    mask = torch.zeros(1, 2, 14, 72, dtype=torch.bool)
    mask[:, :, 2] = True  # both streams on all of symbol 2 with the same symbols
    pilots = torch.ones(1, 2, 72, dtype=torch.complex64)
    rg = ResourceGrid(num_ofdm_symbols=14, fft_size=72, subcarrier_spacing=15e3,
                      num_streams_per_tx=2, pilot_pattern=PilotPattern(mask, pilots))
    with pytest.raises(ConfigError, match="orthogonal"):
        chanest.SionnaEstimator(rg, "ls-linear")
    pilots[0, 1, :36] = 0  # stream 1 on half of stream 0's REs
    pilots[0, 1, 37::2] = -1
    rg = ResourceGrid(num_ofdm_symbols=14, fft_size=72, subcarrier_spacing=15e3,
                      num_streams_per_tx=2, pilot_pattern=PilotPattern(mask, pilots))
    with pytest.raises(ConfigError, match="share only some"):
        chanest.SionnaEstimator(rg, "ls-linear")
    with pytest.raises(ConfigError, match="bound"):
        chanest.SionnaEstimator(_grid(), "genie-lmmse", scenario=TDL_SCENARIO)
    with pytest.raises(ConfigError, match="resource_grid"):
        chanest.SionnaEstimator("72x14", "ls-linear")


def test_one_network_per_stream_layout_runs_each_user_on_its_own_checkpoint(tmp_path):
    """Untrained CENets on the linear base equal the linear interpolation exactly, so a
    network per FDM user must reproduce ls-linear; one network for both layouts is refused."""
    from chanest.link.layout import span_layout
    from chanest.models import build_model, save_model

    rg = _grid(guards=(0, 0), dc_null=False)
    stems = []
    for stream in span_layout(rg).streams:
        model = build_model("cenet", channels=4, blocks=1)
        stem = tmp_path / f"user{stream.stream}"
        err = {"err_map.snr_db": torch.zeros(1), "err_map.mse": torch.full((1, 14, 72), 0.01)}
        save_model(stem, model, {"model": {"name": "cenet", "kwargs": {"channels": 4,
                                                                       "blocks": 1}},
                                 "mask": stream.mask.astype(int).tolist(), "stage": None},
                   extra=err)
        stems.append(f"ckpt:{stem}")
    g = torch.Generator().manual_seed(3)
    y = torch.randn(2, 1, 2, 14, 72, dtype=torch.complex64, generator=g)
    nets, _ = chanest.SionnaEstimator(rg, stems)(y, torch.tensor(0.1))
    ls, _ = chanest.SionnaEstimator(rg, "ls-linear")(y, torch.tensor(0.1))
    torch.testing.assert_close(nets, ls, atol=1e-5, rtol=1e-5)
    with pytest.raises(ConfigError, match="another pilot layout"):
        chanest.SionnaEstimator(rg, stems[0])
    with pytest.raises(ConfigError, match="one per stream"):
        chanest.SionnaEstimator(rg, stems[:1])
