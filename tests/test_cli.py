"""CLI: commands write what they say; bad input fails in one line, leaving nothing behind."""

from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from chanest.cli import main
from chanest.data.scenario import Scenario


def run(runner, *args):
    return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


def write_cfg(tmp_path, data, name="sc.yaml"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


SMALL = {"chunk_size": 16, "channel": {"model": "pdp", "profile": "EPA", "speed_mps": [0, 10],
                                       "num_rx_antennas": 2},
         "noise": {"snr_db": [0, 20]}}


def test_simulate_writes_a_checked_dataset(runner, tmp_path):
    cfg = write_cfg(tmp_path, SMALL)
    out = tmp_path / "out" / "d.h5"
    res = run(runner, "simulate", "--config", cfg, "-n", 40, "--out", out, "--batch-size", 32,
              "--device", "cpu", "-q")
    assert res.exit_code == 0, res.output
    assert "wrote" in res.output and "40 grids" in res.output
    with h5py.File(out) as f:
        assert f["h"].shape == (40, 2, 14, 72) and f["h"].dtype == np.complex64
        assert f["y"].shape == (40, 2, 48)
        assert f.attrs["complete"] and f.attrs["num_samples_total"] == 40
        stored = yaml.safe_load(f.attrs["config"])
        assert stored["channel"]["models"][0]["profile"] == "EPA"
        assert set(np.unique(f["snr_db"][:])) == {0.0, 20.0}
        assert 0.5 < np.mean(np.abs(f["h"][:]) ** 2) < 1.5


def test_simulate_seed_gives_the_scenario_with_that_seed_and_other_grids(runner, tmp_path):
    cfg = write_cfg(tmp_path, SMALL)
    paths = {}
    for name, extra in (("a", []), ("b", ["--seed", 5])):
        paths[name] = tmp_path / f"{name}.h5"
        res = run(runner, "simulate", "--config", cfg, "-n", 16, "--out", paths[name], "-q",
                  *extra)
        assert res.exit_code == 0, res.output
    with h5py.File(paths["a"]) as a, h5py.File(paths["b"]) as b:
        assert yaml.safe_load(b.attrs["config"])["seed"] == 5 and a.attrs["seed"] == 0
        assert not np.allclose(a["h"][:], b["h"][:])
    reseeded = write_cfg(tmp_path, {**SMALL, "seed": 5}, "seeded.yaml")
    res = run(runner, "simulate", "--config", reseeded, "-n", 16, "--out", tmp_path / "c.h5",
              "-q")
    assert res.exit_code == 0, res.output
    with h5py.File(paths["b"]) as b, h5py.File(tmp_path / "c.h5") as c:
        np.testing.assert_array_equal(b["h"][:], c["h"][:])  # --seed 5 is seed: 5


def test_simulate_shards_and_inspect(runner, tmp_path):
    cfg = write_cfg(tmp_path, SMALL)
    for i in range(2):
        res = run(runner, "simulate", "--config", cfg, "-n", 64, "--out",
                  tmp_path / f"s{i}.h5", "--shard", f"{i}/2", "-q")
        assert res.exit_code == 0, res.output
    png = tmp_path / "grid.png"
    res = run(runner, "inspect", tmp_path / "s0.h5", tmp_path / "s1.h5", "--plot", png,
              "--sample", 40)
    assert res.exit_code == 0, res.output
    assert "h: [64, 2, 14, 72]" in res.output and "pdp-EPA: 64 grids" in res.output
    assert "0.00 dB: 32" in res.output and "measured E|h|^2" in res.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    res = run(runner, "inspect", tmp_path / "s0.h5", "--plot", tmp_path / "grid.svg",
              "--estimator", "lmmse", "--sample", 3)
    assert res.exit_code == 0, res.output
    svg = (tmp_path / "grid.svg").read_text()
    for text in ("true |H|", "lmmse |Ĥ|", "error |Ĥ − H| (NMSE", "|H| [dB]", "max. Doppler",
                 "pilot (48 per grid)"):
        assert text in svg, text
    cells = (tmp_path / "grid.csv").read_text().splitlines()  # the plotted values per RE
    assert cells[0] == "symbol,subcarrier,pilot,h_db,h_hat_db,error_db"
    assert len(cells) == 1 + 14 * 72 and sum(c.split(",")[2] == "1" for c in cells[1:]) == 48
    res = run(runner, "inspect", tmp_path / "s0.h5", "--estimator", "lmmse")
    assert res.exit_code == 2 and "--estimator: only used with --plot" in res.output


def test_simulate_default_scenario(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run(runner, "simulate", "-n", 300, "-q")
    assert res.exit_code == 0, res.output
    with h5py.File(tmp_path / "data" / "default.h5") as f:
        assert yaml.safe_load(f.attrs["config"]) == Scenario().to_dict()


def test_info_lists_everything(runner):
    res = run(runner, "info")
    assert res.exit_code == 0
    for word in ("lte-72x14", "nr-624x14", "channelnet-48", "dmrs", "kronecker", "tdl", "cdl",
                 "VehA", "PedB", "rayleigh"):
        assert word in res.output


BAD_CONFIGS = [
    ("speed_mps: must be a finite number, got inf",
     {"channel": {"model": "pdp", "profile": "EPA", "speed_mps": float("inf")}}),
    ("delay_spread_ns: must be finite numbers", {"channel": {
        "model": "tdl", "profile": "A", "delay_spread_ns": [10, float("nan")]}}),
    ("noise.snr_db_range", {"noise": {"snr_db_range": [0, float("inf")]}}),
    ("grid.carrier_frequency", {"grid": {"carrier_frequency": float("nan")}}),
    ("grid.num_subcarriers", {"grid": {"num_subcarriers": -5}}),
    ("grid.preset", {"grid": {"preset": "lte-100x7"}}),
    ("grid.cyclic_prefix", {"grid": {"cyclic_prefix": "long"}}),
    ("grid: unknown field 'foo'; allowed: preset, num_subcarriers", {"grid": {"foo": 1}}),
    ("pilots", {"pilots": {"pattern": "star"}}),
    ("pilots.symbols", {"pilots": {"pattern": "block", "symbols": [2, 20]}}),
    ("pilots.pattern: channelnet-48 needs the 72x14 grid",
     {"grid": {"preset": "nr-624x14"}, "pilots": {"pattern": "channelnet-48"}}),
    ("pilots.pattern: dmrs needs 14 symbols",
     {"grid": {"num_symbols": 10}, "pilots": {"pattern": "dmrs"}}),
    ("pilots.path: file not found", {"pilots": {"pattern": "file", "path": "nope.npy"}}),
    ("channel.models[0]", {"channel": {"models": [{"model": "winner"}]}}),
    ("channel.models[0].profile", {"channel": {"model": "tdl", "profile": "Z"}}),
    ("channel.models[0]: delay_spread_ns is fixed by profile A30",
     {"channel": {"model": "tdl", "profile": "A30", "delay_spread_ns": 30}}),
    ("channel.models[0]: give either speed_mps or doppler_hz",
     {"channel": {"model": "pdp", "speed_mps": 3, "doppler_hz": 10}}),
    ("channel.models[0].speed_mps", {"channel": {"model": "pdp", "speed_mps": [30, 0]}}),
    ("channel.models[0].weight", {"channel": {"model": "rayleigh", "weight": 0}}),
    ("channel.num_rx_antennas", {"channel": {"num_rx_antennas": 0}}),
    ("noise: give either snr_db", {"noise": {"snr_db": [0], "snr_db_range": [0, 10]}}),
    ("noise.snr_db_range", {"noise": {"snr_db_range": [30, 0]}}),
    ("seed", {"seed": -1}),
    ("chunk_size", {"chunk_size": 0}),
    ("top level must be a mapping", [1, 2, 3]),
    ("invalid YAML at line", "seed: 1\ngrid: {preset: [\n"),
]


def assert_clean_failure(res, fragment, out: Path):
    assert res.exit_code != 0
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("Error: ") and fragment in lines[0], lines[0]
    assert "Traceback" not in res.output
    assert not out.exists() and not Path(str(out) + ".partial").exists()


@pytest.mark.parametrize("fragment,data", BAD_CONFIGS, ids=[b[0][:40] for b in BAD_CONFIGS])
def test_bad_config_fails_in_one_line(runner, tmp_path, fragment, data):
    cfg = write_cfg(tmp_path, data)
    out = tmp_path / "d.h5"
    res = run(runner, "simulate", "--config", cfg, "-n", 10, "--out", out)
    assert res.exit_code == 2
    assert_clean_failure(res, fragment, out)


BAD_ARGS = [
    ("--num-samples", ["-n", "0"]),
    ("--num-samples", ["-n", "ten"]),
    ("--shard", ["--shard", "2/2"]),
    ("--shard", ["--shard", "x"]),
    ("--shard: 5 shards but the dataset has only 1 chunks", ["--shard", "1/5", "-n", "10"]),
    ("--batch-size: must be a positive multiple of the chunk size", ["--batch-size", "100"]),
    ("--device", ["--device", "tpu"]),
    ("--device: cuda:3 requested", ["--device", "cuda:3"]),
    ("--config: file not found", ["--config", "missing.yaml"]),
    ("No such option", ["--bogus"]),
]


@pytest.mark.parametrize("fragment,args", BAD_ARGS, ids=[b[0][:30] for b in BAD_ARGS])
def test_bad_arguments_fail_in_one_line(runner, tmp_path, fragment, args):
    out = tmp_path / "d.h5"
    res = run(runner, "simulate", "--out", out, *args)
    assert_clean_failure(res, fragment, out)


def test_existing_output_is_not_overwritten(runner, tmp_path):
    out = tmp_path / "d.h5"
    out.write_bytes(b"precious")
    res = run(runner, "simulate", "-n", 10, "--out", out)
    assert res.exit_code == 2 and "--out" in res.stderr and "--overwrite" in res.stderr
    assert out.read_bytes() == b"precious"


@pytest.mark.parametrize("fragment,args", [
    ("--data: file not found", ["missing.h5"]),
    ("not a readable HDF5 file", ["{bad}"]),
    ("--sample: must be < 20", ["{good}", "--plot", "{png}", "--sample", "99"]),
])
def test_inspect_bad_input(runner, tmp_path, fragment, args):
    bad = tmp_path / "bad.h5"
    bad.write_text("x")
    good = tmp_path / "good.h5"
    assert run(runner, "simulate", "-n", 20, "--out", good, "-q",
               "--config", write_cfg(tmp_path, SMALL)).exit_code == 0
    png = tmp_path / "g.png"
    args = [a.format(bad=bad, good=good, png=png) for a in args]
    res = run(runner, "inspect", *args)
    assert res.exit_code == 2
    assert_clean_failure(res, fragment, png)


def test_library_argument_names_are_spelled_as_cli_options_only_when_the_error_names_one():
    from chanest.commands.options import cli_message
    from chanest.schema import ConfigError

    assert cli_message(ConfigError("file not found: x.h5", arg="paths")) == \
        "--data: file not found: x.h5"
    assert cli_message(ConfigError("the training data has another grid", arg="fit_dataset")) \
        == "--fit-data: the training data has another grid"
    assert cli_message(ConfigError("data: give exactly one of train or simulate")) == \
        "data: give exactly one of train or simulate"  # a config field, not an argument
