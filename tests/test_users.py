"""Multi-user scenarios: pilot layouts, simulated pilots, per-user views and estimators."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from chanest.data.context import context_from_simulator
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.data.userview import UserView
from chanest.estimators.base import observe
from chanest.estimators.registry import build_estimator
from chanest.grid.users import scenario_users
from chanest.schema import ConfigError

GRID = {"num_subcarriers": 24, "num_symbols": 14, "subcarrier_spacing": 15000.0}
FLAT_STATIC = {"model": "rayleigh"}  # one flat tap, constant over the grid


def _scenario(users, pilots=None, snr=(10.0,), models=None, antennas=2, seed=1):
    return parse_config({
        "seed": seed, "chunk_size": 32, "grid": GRID,
        "pilots": pilots or {"pattern": "kronecker", "symbols": [2, 11], "spacing": 2,
                             "values": "qpsk"},
        "users": users, "noise": {"snr_db": list(snr)},
        "channel": {"num_rx_antennas": antennas,
                    "models": models or [{"model": "tdl", "profile": "A",
                                          "delay_spread_ns": 100, "speed_mps": [0, 10]}]}})


LAYOUTS = {
    "fdm": {"count": 2, "shift": {"symbols": 0, "subcarriers": 1}},
    "tdm": {"count": 2, "shift": {"symbols": 1, "subcarriers": 0}},
    "fd-occ": {"count": 2, "cover": {"frequency": 2}},
    "fd-occ+fdm": {"count": 4, "cover": {"frequency": 2}, "shift": {"subcarriers": 1}},
    "td-occ": {"count": 2, "cover": {"time": 2}},
}
PILOTS = {"td-occ": {"pattern": "block", "symbols": [2, 3, 10, 11], "values": "qpsk"}}


@pytest.mark.parametrize("kind", LAYOUTS)
def test_user_layouts_have_orthogonal_pilots_and_the_expected_re_counts(kind):
    from chanest.grid.pilots import pilot_mask

    sc = _scenario(LAYOUTS[kind], PILOTS.get(kind))
    lay = scenario_users(sc)
    X = lay.pilots  # [U, Q]
    gram = X.conj() @ X.T
    np.testing.assert_allclose(gram, np.diag(np.diag(gram)), atol=1e-4)  # orthogonal
    K, base = sc.users.per_set, int(pilot_mask(sc.pilots, sc.grid).sum())
    assert lay.mask.sum() == X.shape[1] == base * sc.users.count // K  # disjoint RE sets
    assert all(u.noise_gain == pytest.approx(1 / K, rel=1e-5) for u in lay.users)
    assert all(int(u.mask.sum()) == base // K for u in lay.users)  # one LS value per tile
    assert all((np.abs(x) > 0).sum() == base for x in X)  # each user on its own RE set


def test_layouts_that_do_not_fit_are_refused_naming_the_users_field():
    with pytest.raises(ConfigError, match="users.shift: RE set 1 overlaps"):
        _scenario({"count": 2, "shift": {"subcarriers": 0}})
    with pytest.raises(ConfigError, match="users.shift: RE set 1 moves pilots off"):
        _scenario({"count": 2, "shift": {"symbols": 3, "subcarriers": 0}})
    with pytest.raises(ConfigError, match=r"users: count \(3\) must be a multiple"):
        _scenario({"count": 3, "cover": {"frequency": 2}})
    with pytest.raises(ConfigError, match=r"users.cover: the pilot pattern "
                                          r"\(pilot symbols \[2, 11\]\) does not split"):
        _scenario({"count": 2, "cover": {"time": 2}})  # symbols 2 and 11 are not adjacent
    with pytest.raises(ConfigError, match="users.count: Input should be greater than or "
                                          "equal to 2"):
        _scenario({"count": 1})


@pytest.mark.parametrize("kind", ["fdm", "fd-occ+fdm", "td-occ"])
def test_despread_pilots_of_each_user_are_its_channel_plus_noise_of_variance_no_over_k(kind):
    """Flat, static channels are constant over every cover tile, so each user's LS value
    is its channel plus white noise of variance no/K: the closed form."""
    sc = _scenario(LAYOUTS[kind], PILOTS.get(kind), snr=(0.0,), models=[FLAT_STATIC])
    sim = Simulator(sc)
    batch = sim.generate(256)
    assert batch.h.shape == (256, sc.users.count * 2, 14, 24) and batch.y.shape[1] == 2
    K = sc.users.per_set
    for u in range(sc.users.count):
        view = UserView(sim, u).view(batch)
        h_p = view.h.reshape(256, 2, -1)[..., np.flatnonzero(sim.users.users[u].mask)]
        err = (view.y - h_p).abs() ** 2  # [n, A, P_u]
        assert torch.allclose(view.no, batch.no / K)
        se = err.std() / np.sqrt(err.numel())
        assert abs(err.mean() - 1.0 / K) < 4 * se  # no = 1 at 0 dB


def test_pooled_evaluation_equals_the_sum_of_the_per_user_evaluations(tmp_path):
    from chanest.data.dataset import open_dataset
    from chanest.data.writer import DatasetWriter
    from chanest.evaluation.evaluate import evaluate

    sc = _scenario(LAYOUTS["fd-occ+fdm"], snr=(0.0, 20.0))
    path = tmp_path / "mu.h5"
    DatasetWriter(path, Simulator(sc), 64).run()
    with open_dataset(path) as ds:
        names = ["ls-linear", "lmmse", "genie-lmmse"]
        pooled = evaluate(ds, names, progress=False).per_sample
        views = [evaluate(ds.user_view(u), names, progress=False).per_sample
                 for u in range(4)]
        for name in names:
            total = sum(v[name]["err"] for v in views)
            np.testing.assert_allclose(pooled[name]["err"], total, rtol=1e-4)
            np.testing.assert_allclose(pooled[name]["power"], sum(v[name]["power"]
                                                                  for v in views), rtol=1e-5)
        with pytest.raises(ConfigError, match="user"):
            ds.user_view(4)


def test_one_estimator_per_user_and_single_user_names_are_checked():
    sim = Simulator(_scenario(LAYOUTS["fdm"]))
    ctx, batch = context_from_simulator(sim), sim.generate(8)
    both = build_estimator("ls-linear|lmmse-adaptive", ctx)
    out = both.estimate(observe(batch))
    assert out.h_hat.shape == batch.h.shape
    alone = [build_estimator(n, ctx.for_user(u)) for u, n in
             enumerate(["ls-linear", "lmmse-adaptive"])]
    for u, est in enumerate(alone):
        ref = est.estimate(observe(UserView(sim, u).view(batch))).h_hat
        torch.testing.assert_close(out.h_hat[:, 2 * u:2 * u + 2], ref)
    with pytest.raises(ConfigError, match="3 estimators for 2 users"):
        build_estimator("ls-linear|dft|lmmse", ctx)
    with pytest.raises(ConfigError, match="needs data with several users"):
        build_estimator("ls-linear|dft", ctx.for_user(0))


def test_single_user_scenarios_keep_their_fingerprint_and_their_pilot_noise_draws():
    """Without users: the config has no users key (fingerprints unchanged) and the pilot
    noise is still the chunk generator's third draw, added to h_p·x_p as before."""
    from chanest.seeding import chunk_seeds

    sc = parse_config({"seed": 5, "chunk_size": 16, "channel": {"num_rx_antennas": 2}})
    assert "users" not in sc.to_dict()
    assert sc.fingerprint() == parse_config({**sc.to_dict(), "seed": 5}).fingerprint()
    sim = Simulator(sc)
    batch = sim.chunk(3)
    gen = torch.Generator().manual_seed(chunk_seeds(5, 3)[0])
    torch.multinomial(sim._weights, 16, replacement=True, generator=gen)  # model
    torch.rand(3, 16, generator=gen, dtype=torch.float64)  # delay spread, speed, SNR
    noise = torch.randn(16, 2, 48, generator=gen, dtype=torch.complex64)
    h_p = batch.h.reshape(16, 2, -1)[..., sim.pilot_idx]
    expect = h_p * torch.as_tensor(sim.pilots) + batch.no.sqrt()[:, None, None] * noise
    torch.testing.assert_close(batch.y, expect, rtol=1e-5, atol=1e-6)


def test_stored_pilots_that_differ_from_the_users_layout_are_refused(tmp_path):
    import h5py

    from chanest.data.dataset import open_dataset
    from chanest.data.writer import DatasetWriter

    path = tmp_path / "mu.h5"
    DatasetWriter(path, Simulator(_scenario(LAYOUTS["fd-occ"])), 32).run()
    with h5py.File(path, "r+") as f:
        f["pilots"][0, 0] = -f["pilots"][0, 0]
    with open_dataset(path) as ds, pytest.raises(ConfigError, match="stored pilots differ"):
        ds.context()


def test_multi_user_pilot_sequences_that_differ_are_named_by_user_and_pilot():
    from chanest.data.context import check_compatible

    a = context_from_simulator(Simulator(_scenario(LAYOUTS["fdm"])))
    other = _scenario(LAYOUTS["fdm"]).model_dump()
    other["pilots"]["sequence_seed"] = 99
    b = context_from_simulator(Simulator(parse_config(other)))
    with pytest.raises(ConfigError, match=r"fit_data: .* another pilot sequence \(user 0 "
                                          r"pilot 0 = .*\) than"):
        check_compatible(a, b, ("the training data", "the test data"), arg="fit_data")


def test_the_genie_is_a_bound_only_where_despreading_is_exact():
    fdm = context_from_simulator(Simulator(_scenario(LAYOUTS["fdm"])))
    cdm = context_from_simulator(Simulator(_scenario(LAYOUTS["fd-occ"])))
    assert build_estimator("genie-lmmse", fdm).role == "bound"
    assert build_estimator("genie-lmmse", cdm).role == "reference"  # tiles of 2 REs
    assert not build_estimator("genie-lmmse", cdm).is_bound
