"""A chanest dataset that lacks something the reader needs (a field removed with h5py,
an attribute deleted) fails in one line naming the file and what is missing, through
the CLI, never with a traceback."""

import shutil

import h5py
import pytest

from tests.test_cli import SMALL, run, write_cfg

NEEDED_FIELDS = ["h", "y", "model", "no", "snr_db", "delay_spread", "doppler", "speed",
                 "pilot_mask", "pilots", "profiles", "profiles/0", "profiles/0/delays",
                 "profiles/0/powers"]
NEEDED_ATTRS = [("", "config"), ("", "config_fingerprint"), ("", "first_sample"),
                ("", "num_samples"), ("", "num_samples_total"), ("profiles/0", "label"),
                ("profiles/0", "scale_delays"), ("profiles/0", "los_power"),
                ("profiles/0", "delay_spread_range"), ("profiles/0", "doppler_range"),
                ("profiles/0", "weight")]


@pytest.fixture(scope="module")
def complete(tmp_path_factory):
    """A small complete dataset (16 grids)."""
    from click.testing import CliRunner

    folder = tmp_path_factory.mktemp("complete")
    path = folder / "d.h5"
    res = run(CliRunner(), "simulate", "-n", 16, "--out", path, "-q", "--device", "cpu",
              "--config", write_cfg(folder, SMALL))
    assert res.exit_code == 0, res.output
    return path


def damaged(complete, tmp_path, remove):
    """A copy of the complete dataset with ``remove(h5py.File)`` applied."""
    path = tmp_path / "damaged.h5"
    shutil.copyfile(complete, path)
    with h5py.File(path, "r+") as f:
        remove(f)
    return path


def evaluate(runner, data, tmp_path):
    return run(runner, "evaluate", "--data", data, "--out", tmp_path / "res",
               "--estimators", "ls-linear", "-q", "--device", "cpu")


def assert_one_line(res, *fragments):
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("Error: --data: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_the_complete_dataset_evaluates(runner, complete, tmp_path):
    assert evaluate(runner, complete, tmp_path).exit_code == 0


@pytest.mark.parametrize("field", NEEDED_FIELDS)
def test_evaluate_names_the_file_and_the_missing_field(runner, complete, tmp_path, field):
    path = damaged(complete, tmp_path, lambda f: f.__delitem__(field))
    assert_one_line(evaluate(runner, path, tmp_path), str(path), f"no field {field!r}")
    assert not (tmp_path / "res").exists()


@pytest.mark.parametrize("where,key", NEEDED_ATTRS, ids=[f"{w}@{k}" for w, k in NEEDED_ATTRS])
def test_evaluate_names_the_file_and_the_missing_attribute(runner, complete, tmp_path, where,
                                                           key):
    def remove(f):
        del (f[where] if where else f).attrs[key]

    path = damaged(complete, tmp_path, remove)
    assert_one_line(evaluate(runner, path, tmp_path), str(path), f"no attribute {key!r}")


def test_inspect_names_the_missing_field_too(runner, complete, tmp_path):
    path = damaged(complete, tmp_path, lambda f: f.__delitem__("h"))
    assert_one_line(run(runner, "inspect", path), str(path), "no field 'h'")


def test_a_field_with_rows_missing_is_named(runner, complete, tmp_path):
    def truncate(f):
        speed = f["speed"][:8]
        del f["speed"]
        f["speed"] = speed

    path = damaged(complete, tmp_path, truncate)
    assert_one_line(evaluate(runner, path, tmp_path), str(path), "field 'speed'", "16 grids")


def stored_items(path):
    """Every dataset, group and attribute of a file, as (where, attribute or None)."""
    items = []
    with h5py.File(path, "r") as f:
        items += [("", key) for key in f.attrs]
        f.visititems(lambda name, obj: items.extend(
            [(name, None)] + [(name, key) for key in obj.attrs]))
    return items


def test_removing_any_stored_item_evaluates_or_fails_in_one_line(runner, complete, tmp_path):
    """Whatever is removed (a field or an attribute), evaluate either works (the reader
    does not need it) or fails in one line naming the file; never a traceback."""
    for i, (where, key) in enumerate(stored_items(complete)):
        def remove(f, where=where, key=key):
            if key is None:
                del f[where]
            else:
                del (f[where] if where else f).attrs[key]

        case = tmp_path / str(i)
        case.mkdir()
        path = damaged(complete, case, remove)
        res = evaluate(runner, path, case)
        if res.exit_code != 0:
            assert_one_line(res, str(path))
