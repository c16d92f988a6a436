"""Receive arrays and geometric channels: the array config, the system-level drops, and the
propagation paths read from Sionna's rays against the grids Sionna draws from them."""

import math

import numpy as np
import pytest
import torch

from chanest.channels.arrays import ArrayConfig, ula
from chanest.channels.paths import PathRecorder, ray_paths
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.schema import ConfigError

FC = 3.5e9
DUAL = {"type": "panel", "rows": 2, "columns": 2, "polarization": "dual", "pattern": "38.901"}


def test_array_sizes_and_element_positions():
    assert ula(4).num_elements == 4 and ArrayConfig(**DUAL).num_elements == 8
    assert ArrayConfig(type="panel", rows=2, columns=2, panels=(1, 2)).num_elements == 8
    pos, slant = ula(4).positions(FC)  # half a wavelength apart along y
    wavelength = 299_792_458.0 / FC
    np.testing.assert_allclose(np.diff(pos[:, 1]), wavelength / 2, rtol=1e-5)
    assert (slant == 0).all()
    _, slant = ArrayConfig(**DUAL).positions(FC)  # ±45° cross: first block, then second
    np.testing.assert_array_equal(slant, [-45.0] * 4 + [45.0] * 4)


@pytest.mark.parametrize("channel,message", [
    ({"model": "tdl", "array": DUAL}, "the tdl model has no an array geometry|array geometry"),
    ({"model": "cdl", "array": {"type": "ula", "rows": 2}}, "channel.array: a ula has one row"),
    ({"model": "cdl", "num_rx_antennas": 4, "array": {"columns": 8}},
     r"num_rx_antennas \(4\) differs from the array's 8 elements"),
    ({"model": "cdl", "array": {"polarization": "dual", "polarization_type": "V"}},
     "polarization_type of a dual-polarised array is cross or VH"),
    ({"model": "cdl", "array": {"type": "upa", "rows": 16, "columns": 16,
                                "polarization": "dual"}}, "at most 256"),
    ({"model": "pdp", "paths": True}, "has no propagation paths"),
    ({"model": "umi", "doppler_hz": 100}, "give speed_mps, not doppler_hz"),
])
def test_arrays_and_paths_the_model_cannot_produce_are_one_line_errors(channel, message):
    with pytest.raises(ConfigError, match=message) as err:
        parse_config({"channel": channel})
    assert "\n" not in str(err.value)


def test_paths_with_several_users_are_refused():
    with pytest.raises(ConfigError, match="paths are stored for a single transmitter"):
        parse_config({"pilots": {"pattern": "comb", "spacing": 4, "offset": 0},
                      "users": {"count": 2, "shift": {"subcarriers": 1}},
                      "channel": {"model": "cdl", "paths": True}})


def test_an_explicit_omni_ula_draws_the_grids_of_the_num_rx_antennas_shorthand():
    base = {"chunk_size": 8, "grid": {"num_subcarriers": 24},
            "pilots": {"pattern": "block", "symbols": [2, 11]}}
    short = Simulator(parse_config({**base, "channel": {"model": "cdl", "profile": "C",
                                                          "num_rx_antennas": 4}})).chunk(0)
    full = Simulator(parse_config({**base, "channel": {"model": "cdl", "profile": "C",
                                                         "array": {"columns": 4}}})).chunk(0)
    assert torch.equal(short.h, full.h) and torch.equal(short.y, full.y)


def test_configs_without_arrays_or_paths_keep_their_fingerprints():
    sc = parse_config({"channel": {"model": "cdl", "num_rx_antennas": 4}})
    assert "array" not in sc.to_dict()["channel"] and "paths" not in sc.to_dict()["channel"]


class _Keep(PathRecorder):
    """A recorder that also keeps the arguments of the last call."""

    def __call__(self, num_time_samples, sampling_frequency, k_factor, rays, topology,
                 c_ds=None, debug=False):
        self.args = (k_factor, rays, topology, c_ds)
        return super().__call__(num_time_samples, sampling_frequency, k_factor, rays, topology,
                                c_ds)


def _model(kind: str):
    from sionna.phy.channel import gen_single_sector_topology
    from sionna.phy.channel.tr38901 import CDL, UMi

    ut, bs = ArrayConfig().sionna(FC), ArrayConfig(**DUAL).sionna(FC)
    if kind.startswith("cdl"):
        model = CDL(kind[-1], 100e-9, FC, ut_array=ut, bs_array=bs, direction="uplink",
                    min_speed=10.0, max_speed=30.0)
        return model, _Keep.install(model, "_cir_gen")
    model = UMi(FC, "low", ut_array=ut, bs_array=bs, direction="uplink",
                enable_pathloss=False, enable_shadow_fading=False)
    model.set_topology(*gen_single_sector_topology(6, 1, "umi", min_ut_velocity=0.0,
                                                   max_ut_velocity=10.0))
    return model, _Keep.install(model, "_cir_sampler")


@pytest.mark.parametrize("kind", ["cdl-C", "cdl-D", "umi"])
def test_the_paths_with_the_drawn_phases_rebuild_sionnas_grid_exactly(kind):
    """Σ_k e^{jΦ_k} g_k ⊗ d(ν_k) ⊗ e(τ_k) with the phases Sionna drew equals Sionna's own
    frequency response: CDL-C (NLoS), CDL-D (LoS, dual-polarised 38.901 panel) and UMi
    (sub-clusters of the two strongest clusters, random UT orientation)."""
    from sionna.phy.channel import cir_to_ofdm_channel

    torch.manual_seed(3)
    model, rec = _model(kind)
    rec.record = True
    S, fs = 14, 30e3
    model(4, S, fs) if kind.startswith("cdl") else model(S, fs)
    k_factor, rays, topology, c_ds = rec.args
    phi = (torch.rand(*rays.aoa.shape, 4) * 2 - 1) * math.pi
    rays.phases = phi
    a, tau = rec.gen(S, fs, k_factor, rays, topology, c_ds)
    freqs = torch.arange(-12, 12) * fs
    h = cir_to_ofdm_channel(freqs, a.permute(0, 2, 4, 1, 5, 3, 6), tau.permute(0, 2, 1, 3))
    h = h[:, 0, :, 0, 0]  # [B, A, S, F]
    paths = ray_paths(rec.gen, k_factor, rays, topology, c_ds, prune=False)
    phases = phi[:, 0, 0].permute(0, 3, 1, 2).reshape(len(phi), -1)  # [B, 4 pairs · C · M]
    if paths.gain.shape[1] > phases.shape[1]:  # the specular path of LoS links: phase 0
        phases = torch.cat([phases, torch.zeros(phases.shape[0], 1)], 1)
    rebuilt = paths.response(torch.arange(S) / fs, freqs, phases)
    assert (rebuilt - h).abs().max() <= 2e-6 * h.abs().max()


def test_the_paths_covariance_is_the_mean_over_random_phases():
    """With the paths fixed and the phases uniform, E[h hᴴ] = Σ_k v_k v_kᴴ (Monte Carlo over
    1,500 phase draws of the grid ``Paths.response`` builds)."""
    torch.manual_seed(0)
    model, rec = _model("cdl-C")
    rec.record = True
    model(1, 14, 30e3)
    paths = rec.paths
    times, freqs = torch.arange(4) / 30e3, torch.arange(-3, 3) * 30e3
    phases = torch.rand(1500, paths.gain.shape[1]) * 2 * math.pi
    many = paths.map(lambda t: t.expand(1500, *t.shape[1:]))
    draws = many.response(times, freqs, phases).flatten(1).to(torch.complex128)  # [n, A·4·6]
    sample = draws.T @ draws.conj() / len(draws)
    dop = torch.exp(2j * math.pi * paths.doppler[0].double()[:, None] * times.double())
    dly = torch.exp(-2j * math.pi * paths.delay[0].double()[:, None] * freqs.double())
    v = torch.einsum("ka,ks,kf->kasf", paths.gain[0].to(torch.complex128), dop, dly)
    exact = v.flatten(1).T @ v.flatten(1).conj()
    assert (sample - exact).abs().max() < 0.1 * exact.abs().max()


@pytest.mark.parametrize("model", ["umi", "uma", "rma"])
def test_system_level_grids_have_unit_expected_power_and_record_their_drop(model):
    sc = parse_config({"chunk_size": 6, "grid": {"num_subcarriers": 24},
                       "pilots": {"pattern": "block", "symbols": [2, 11]},
                       "channel": {"model": model, "array": DUAL, "speed_mps": [0, 3],
                                   "paths": True}})
    batch = Simulator(sc).chunk(0)
    assert batch.h.shape == (6, 8, 14, 24)
    torch.testing.assert_close(batch.paths.power(), torch.ones(6), rtol=1e-4, atol=1e-4)
    for name in ("los", "delay_spread_lsp", "asa", "zsa", "distance_2d", "indoor"):
        assert torch.isfinite(batch.params[name]).all(), name
    torch.testing.assert_close(batch.delay_spread, batch.params["delay_spread_lsp"])
    k = batch.params["k_factor_db"]
    assert (torch.isfinite(k) == (batch.params["los"] > 0)).all()  # K-factor: LoS only


def test_an_unquoted_yaml_38901_pattern_is_read_as_the_38901_element():
    import yaml
    cfg = yaml.safe_load("{type: panel, columns: 2, pattern: 38.901}")
    assert cfg["pattern"] == 38.901  # what YAML gives
    assert ArrayConfig(**cfg).pattern == "38.901"
