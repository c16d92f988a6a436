"""Simulator reproducibility: chunk seeding, slicing, Sionna RNG hygiene, mixtures."""

import torch
from sionna.phy import config as sionna_config

from chanest.data.batch import TENSOR_FIELDS, Batch
from chanest.data.simulate import Simulator


def same(a: Batch, b: Batch) -> bool:
    return all(torch.equal(getattr(a, k), getattr(b, k)) for k in TENSOR_FIELDS)


def test_chunk_is_a_function_of_seed_and_index(scenario):
    sim = Simulator(scenario(seed=3))
    a, b = sim.chunk(5), Simulator(scenario(seed=3)).chunk(5)
    assert same(a, b)
    assert not torch.equal(sim.chunk(6).h, a.h)
    assert not torch.equal(Simulator(scenario(seed=4)).chunk(5).h, a.h)


def test_generate_slices_equal_whole(scenario):
    sim = Simulator(scenario())
    whole = sim.generate(100)  # chunk_size 32: 4 chunks, last one partial
    assert len(whole) == 100
    assert same(sim.generate(37, start=50), whole[50:87])
    assert same(sim.generate(10), whole[:10])  # prefix property


def test_sionna_rng_state_is_restored(scenario):
    gen = sionna_config.torch_rng("cpu")
    before = gen.get_state().clone()
    Simulator(scenario()).chunk(0)
    assert torch.equal(gen.get_state(), before)


def test_snr_list_is_balanced_and_range_is_uniform(scenario):
    b = Simulator(scenario(noise={"snr_db": [0, 10, 20]})).generate(96)
    assert [int((b.snr_db == s).sum()) for s in (0, 10, 20)] == [32, 32, 32]
    r = Simulator(scenario(noise={"snr_db_range": [5, 15]})).generate(2000)
    assert 5 <= r.snr_db.min() and r.snr_db.max() <= 15
    assert abs(r.snr_db.mean().item() - 10) < 0.3


def test_mixture_weights_and_parameters(scenario):
    sim = Simulator(scenario(chunk_size=500, channel={"models": [
        {"model": "pdp", "profile": "EPA", "weight": 3, "speed_mps": [0, 10]},
        {"model": "tdl", "profile": "B", "delay_spread_ns": [50, 150], "doppler_hz": 100},
        {"model": "rayleigh"}]}))
    b = sim.generate(5000)
    share = torch.bincount(b.model, minlength=3).double() / len(b)
    assert torch.allclose(share, torch.tensor([0.6, 0.2, 0.2], dtype=torch.float64), atol=0.03)
    epa, tdl, ray = (b.model == i for i in range(3))
    assert b.speed[epa].max() <= 10 and b.doppler[epa].max() <= 10 * 2.6e9 / 299_792_458.0 + 1e-3
    assert torch.allclose(b.doppler[tdl], torch.tensor(100.0))
    assert 50e-9 <= b.delay_spread[tdl].min() and b.delay_spread[tdl].max() <= 150e-9
    assert torch.all(b.doppler[ray] == 0)
    # Rayleigh block fading is constant over the grid
    h = b.h[ray]
    assert torch.allclose(h, h[:, :, :1, :1].expand_as(h))
