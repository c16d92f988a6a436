"""Ray-traced sites (``channel: {model: site}``): the grids against Sionna RT's own frequency
response, the stored paths against the grids (closed form), the position cache, the
train/test split, the paths reference on site data, and one-line refusals.

Tests that trace need Sionna RT (``pip install chanest[rt]``) and libLLVM >= 16; they are
skipped with the reason otherwise. The scene is Sionna RT's small ``simple_street_canyon``
with single-bounce tracing and few rays.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import torch

import chanest.channels.site_cache as site_cache
import chanest.channels.site_runtime as site_runtime
from chanest.channels.site_region import SiteRegion, SiteSplit, part_of, sample_xy
from chanest.data.context import context_from_simulator
from chanest.data.dataset import open_dataset
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.data.summary import summarise_dataset
from chanest.data.writer import DatasetWriter
from chanest.estimators import observe
from chanest.estimators.registry import build_estimator
from chanest.grid.ofdm import subcarrier_frequencies, symbol_times
from chanest.schema import ConfigError

REGION = {"x": [-60.0, 60.0], "y": [-40.0, 40.0]}
SITE = {"model": "site", "scene": "simple_street_canyon", "bs_position": [-20.0, 0.0, 20.0],
        "region": REGION, "max_depth": 1, "samples_per_src": 10_000, "speed_mps": [10, 30],
        "split": {"part": "train"}}
CONFIG = {"seed": 1, "chunk_size": 4, "grid": {"num_symbols": 14, "num_subcarriers": 72},
          "channel": {**SITE, "array": {"type": "ula", "columns": 2, "polarization": "dual"},
                      "paths": True},
          "noise": {"snr_db": [10.0, 20.0]}}

needs_rt = pytest.mark.skipif(site_runtime.rt_available() is not None,
                              reason=f"site model: {site_runtime.rt_available()}")


def _config(**channel):
    return parse_config({**CONFIG, "channel": {**CONFIG["channel"], **channel}})


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        folder = tmp_path_factory.mktemp("site-cache")
        mp.setenv("CHANEST_CACHE_DIR", str(folder))
        yield folder / "sites"


@pytest.fixture(scope="module")
def site(cache_dir):
    """(simulator, its first chunk) of the train part, traced into the cache."""
    sim = Simulator(_config())
    return sim, sim.chunk(0)


def _count_traces(monkeypatch, sampler) -> list:
    calls = []
    trace = sampler._site.trace
    monkeypatch.setattr(sampler._site, "trace", lambda pts: calls.append(len(pts)) or
                        trace(pts))
    return calls


# -- positions: train and test parts --------------------------------------------------------


def test_train_and_test_positions_lie_in_disjoint_stripes_whatever_the_seed():
    region, drawn = SiteRegion(**REGION), {}
    for part, seed in (("train", 0), ("test", 0), ("test", 7)):
        split = SiteSplit(part=part, test_fraction=0.25, stripes=4)
        xy = sample_xy(region, split, np.random.default_rng(seed), 4000)
        assert (part_of(region, split, xy[:, 0]) == part).all()
        assert (xy >= [-60, -40]).all() and (xy <= [60, 40]).all()
        drawn[part, seed] = xy
    # every stripe is used, and the test share of the area is the fraction asked for
    test = drawn["test", 7][:, 0]
    assert len(np.unique(np.floor((test + 60) / 30))) == 4
    within = ((test + 60) / 30) % 1.0
    assert within.min() >= 0.75 and within.max() < 1.0


# -- one-line refusals that need no ray tracing --------------------------------------------


def test_an_unknown_scene_name_is_one_line_naming_the_builtin_scenes():
    from chanest.channels.site_scene import scene_file

    with pytest.raises(ConfigError, match=r"^channel.scene: unknown scene 'nowhere'; built-in "
                       r"scenes are .*munich.*\.xml file$"):
        scene_file("nowhere")


def test_an_llvm_that_aborts_the_probe_is_one_line_naming_libllvm_16_and_the_variable(
        monkeypatch):
    monkeypatch.setenv("DRJIT_LIBLLVM_PATH", "/usr/lib/x86_64-linux-gnu/libLLVM-15.so")
    monkeypatch.setattr(site_runtime.importlib.util, "find_spec", lambda name: object())
    aborted = subprocess.CompletedProcess([], -6, "", "Cannot select: fminimum")
    monkeypatch.setattr(site_runtime.subprocess, "run", lambda *a, **k: aborted)
    monkeypatch.delitem(site_runtime.sys.modules, "sionna.rt", raising=False)
    why = site_runtime._why_not()
    assert "libLLVM >= 16" in why and "DRJIT_LIBLLVM_PATH" in why and "\n" not in why


def test_missing_sionna_rt_is_one_line_naming_the_extra(monkeypatch):
    monkeypatch.setattr(site_runtime.importlib.util, "find_spec", lambda name: None)
    monkeypatch.delitem(site_runtime.sys.modules, "sionna.rt", raising=False)
    assert "pip install 'chanest[rt]'" in site_runtime._why_not()


def test_libllvm_versions_are_read_from_file_names():
    assert site_runtime._major("/usr/lib/x86_64-linux-gnu/libLLVM-19.so") == 19
    assert site_runtime._major("/usr/lib/libLLVM.so.18.1") == 18
    assert site_runtime._major("/usr/lib/libLLVM-15.so.1") == 15


def test_a_site_with_doppler_hz_is_refused_at_parse_time():
    with pytest.raises(ConfigError, match="speed_mps, not doppler_hz"):
        parse_config({"channel": {"model": "site", "doppler_hz": [0, 100]}})


# -- traced sites ----------------------------------------------------------------------------


@needs_rt
def test_site_grids_are_sionna_rts_frequency_response_up_to_one_phase_and_unit_power(site):
    """Sionna RT's ``cfr`` for the recorded positions and velocities (delays relative to
    the first path, which also moves its carrier phase: one phase per grid), scaled to unit
    expected power, is the grid; the antenna order is chanest's (dual-polarised array)."""
    sim, batch = site
    sampler = sim.samplers[0]
    rt, scene = sampler._site.rt, sampler._site.scene
    import mitsuba as mi

    p = batch.params
    for i in range(len(batch)):
        v = float(batch.speed[i]) * np.array([np.cos(p["heading"][i]), np.sin(p["heading"][i]),
                                              0.0])
        scene.add(rt.Receiver(f"check{i}", position=[float(p["x"][i]), float(p["y"][i]), 1.5],
                              velocity=v.tolist()))
    try:
        paths = sampler._site.solver(scene, max_depth=1, samples_per_src=10_000,
                                     max_num_paths_per_src=10**6, synthetic_array=True, seed=1)
        freqs = subcarrier_frequencies(sim.scenario.grid).astype(np.float32)
        cfr = np.array(paths.cfr(frequencies=mi.Float(freqs), num_time_steps=14,
                                 sampling_frequency=1 / sim.scenario.grid.symbol_duration,
                                 normalize_delays=True, out_type="numpy"))[:, 0, 0]
        a = np.array(paths.a[0]) + 1j * np.array(paths.a[1])  # [n, 1, 1, A, K]
    finally:
        for i in range(len(batch)):
            scene.remove(f"check{i}")
    power = (np.abs(a[:, 0, 0]) ** 2).sum(-1).mean(-1)  # [n]
    expected = cfr[:, sampler._site.order] / np.sqrt(power)[:, None, None, None]
    h = batch.h.numpy()
    for i in range(len(batch)):
        phase = np.vdot(expected[i], h[i]) / abs(np.vdot(expected[i], h[i]))
        np.testing.assert_allclose(h[i], phase * expected[i], atol=2e-5 * abs(h[i]).max())
    np.testing.assert_allclose((np.abs(h) ** 2).mean((1, 2, 3)), 1.0, rtol=0.6)


@needs_rt
def test_stored_site_paths_reproduce_the_grids_in_closed_form(site):
    sim, batch = site
    grid = sim.scenario.grid
    h = batch.paths.response(torch.as_tensor(symbol_times(grid)),
                             torch.as_tensor(subcarrier_frequencies(grid)))
    torch.testing.assert_close(h, batch.h, atol=0.0, rtol=0.0)
    assert torch.allclose(batch.paths.power(), torch.ones(len(batch)), rtol=1e-5)
    num = batch.params["num_paths"].long()
    assert ((batch.paths.gain.abs().amax(-1) > 0).sum(-1) == num).all() and (num >= 1).all()


@needs_rt
def test_site_parameters_are_the_drawn_positions_in_the_train_part(site):
    sim, batch = site
    p = batch.params
    split = sim.scenario.channel.models[0].split
    assert (part_of(SiteRegion(**REGION), split, p["x"].double().numpy()) == "train").all()
    dist = torch.hypot(p["x"] + 20.0, p["y"])
    torch.testing.assert_close(p["distance_2d"], dist)
    assert ((p["coverage"] > 0) & (p["coverage"] <= 1)).all()
    assert set(p["los"].tolist()) <= {0.0, 1.0}


@needs_rt
def test_a_cache_hit_gives_identical_data_without_tracing(site, monkeypatch):
    sim, batch = site
    calls = _count_traces(monkeypatch, sim.samplers[0])
    again = sim.chunk(0)
    assert calls == []
    torch.testing.assert_close(again.h, batch.h, atol=0.0, rtol=0.0)
    torch.testing.assert_close(again.y, batch.y, atol=0.0, rtol=0.0)


@needs_rt
def test_a_cache_file_with_another_key_is_traced_again_and_replaced(site, monkeypatch):
    sim, batch = site
    files = sorted(site_cache.cache_folder().glob("*.npz"))
    assert len(files) == 1
    with np.load(files[0]) as data:
        stored = {k: data[k] for k in data.files if k != "key"}
        key = str(data["key"])
    np.savez(files[0], key=np.array(key.replace('"max_depth": 1', '"max_depth": 2')), **stored)
    calls = _count_traces(monkeypatch, sim.samplers[0])
    again = sim.chunk(0)
    assert calls, "the file of another key was used"
    # traced again: equal to single-precision rounding (the solver's parallel search may
    # refine a path from other rays); only the cache makes a set bit-identical
    torch.testing.assert_close(again.h, batch.h, atol=1e-5, rtol=1e-5)
    with np.load(files[0]) as data:
        assert str(data["key"]) == key


@needs_rt
def test_the_cache_key_changes_with_the_scene_and_every_tracing_setting(site):
    sim, _ = site
    sampler = sim.samplers[0]
    base = sampler.settings(4, 7)
    keys = {site_cache.cache_key(base)}
    for name, value in (("scene", "0" * 64), ("max_depth", 2), ("samples_per_src", 10),
                        ("bs_position", [0, 0, 30]), ("ue_height", 2.0), ("seed", 8),
                        ("n", 5), ("split", {**base["split"], "part": "test"})):
        keys.add(site_cache.cache_key({**base, name: value}))
    assert len(keys) == 9


@needs_rt
def test_the_paths_reference_runs_on_site_data_and_beats_least_squares(site):
    sim, batch = site
    ctx = context_from_simulator(sim)
    obs = observe(batch)
    ref = build_estimator("genie-paths", ctx).estimate(obs)
    ls = build_estimator("ls-linear", ctx).estimate(obs)
    err_ref = float(((ref.h_hat - batch.h).abs() ** 2).mean())
    err_ls = float(((ls.h_hat - batch.h).abs() ** 2).mean())
    assert err_ref < err_ls and torch.isfinite(ref.err_var).all()


@needs_rt
def test_a_site_dataset_records_positions_ray_tracer_versions_and_the_kept_fraction(
        site, tmp_path):
    from importlib import metadata
    sim, batch = site
    out = DatasetWriter(tmp_path / "site.h5", sim, len(batch)).run()
    with open_dataset([str(out)]) as ds:
        assert ds.attrs["sionna_rt_version"] == metadata.version("sionna-rt")
        assert ds.attrs["mitsuba_version"] == metadata.version("mitsuba")
        stored = ds.read(0, len(batch))
        coverage = float(ds.column("params/coverage").mean())
        lines = summarise_dataset(ds).lines()
    torch.testing.assert_close(stored.params["x"], batch.params["x"])
    torch.testing.assert_close(stored.paths.gain, batch.paths.gain)
    assert any(f"{100 * coverage:.1f} % of drawn positions outdoors with a path" in line
               for line in lines)


@needs_rt
def test_a_base_station_inside_a_building_is_one_line(cache_dir):
    with pytest.raises(ConfigError, match=r"^channel.bs_position: \[-40.0, -30.0, 2.0\] is "
                       r"inside or under a building"):
        Simulator(_config(bs_position=[-40.0, -30.0, 2.0]))


@needs_rt
def test_a_region_inside_a_building_is_one_line(cache_dir):
    sim = Simulator(_config(region={"x": [-55, -45], "y": [-33, -27]}))
    with pytest.raises(ConfigError, match=r"^channel.region: only 0 of \d+ positions drawn in "
                       r"x \[-55.0, -45.0\].* were outdoors with a path"):
        sim.chunk(0)


@needs_rt
@pytest.mark.slow
def test_a_region_without_paths_is_one_line(cache_dir):
    sim = Simulator(_config(region={"x": [500, 600], "y": [500, 600]}))
    with pytest.raises(ConfigError, match=r"^channel.region: only 0 of \d+ positions drawn in "
                       r"x \[500.0, 600.0\].* were outdoors with a path"):
        sim.chunk(0)


@needs_rt
@pytest.mark.slow
def test_site_data_is_reproducible_to_rounding_without_the_cache(cache_dir):
    a = Simulator(_config(cache=False)).chunk(1)
    b = Simulator(_config(cache=False)).chunk(1)
    torch.testing.assert_close(a.params["x"], b.params["x"], atol=0.0, rtol=0.0)
    torch.testing.assert_close(a.h, b.h, atol=1e-5, rtol=1e-5)


@pytest.mark.slow
def test_the_probe_survives_a_dr_jit_that_aborts_on_an_old_llvm(monkeypatch):
    old = "/usr/lib/x86_64-linux-gnu/libLLVM-15.so"
    if site_runtime.importlib.util.find_spec("mitsuba") is None:
        pytest.skip("mitsuba is not installed")
    if not site_runtime.os.path.exists(old):
        pytest.skip(f"{old} is absent")
    monkeypatch.setenv("DRJIT_LIBLLVM_PATH", old)
    monkeypatch.delitem(site_runtime.sys.modules, "sionna.rt", raising=False)
    why = site_runtime._why_not()
    assert why is not None and "libLLVM >= 16" in why
