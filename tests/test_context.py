"""The grid context: built alike from a dataset and a simulator; check_compatible names the
first thing that differs in one line and skips what one side does not know."""

import numpy as np
import pytest

from chanest.data.context import (
    GridContext,
    check_compatible,
    context_from_checkpoint,
    context_from_simulator,
)
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.schema import ConfigError


def _ctx(**overrides) -> GridContext:
    return context_from_simulator(Simulator(parse_config({"chunk_size": 8, **overrides})))


def test_dataset_and_simulator_give_the_same_context(tmp_path):
    from chanest.data.dataset import DatasetWriter, open_dataset

    sim = Simulator(parse_config({"chunk_size": 8}))
    DatasetWriter(tmp_path / "d.h5", sim, 8).run()
    live = context_from_simulator(sim)
    with open_dataset(tmp_path / "d.h5") as ds:
        stored = ds.context()
    assert stored.grid == live.grid and np.array_equal(stored.mask, live.mask)
    assert np.array_equal(stored.pilots, live.pilots) and stored.labels == live.labels
    assert stored.delay_spread_range == live.delay_spread_range
    assert stored.doppler_range == live.doppler_range and stored.weights == live.weights


def test_identical_contexts_are_compatible():
    check_compatible(_ctx(), _ctx())


@pytest.mark.parametrize("overrides,what", [
    ({"grid": {"carrier_frequency": 3.5e9}},
     r"another grid \(carrier_frequency 3500000000.0\)"),
    ({"pilots": {"pattern": "channelnet-16"}},
     r"another pilot layout \(16 pilots on \[14, 72\]\)"),
    ({"pilots": {"pattern": "channelnet-48", "sequence_seed": 5}},
     r"another pilot sequence \(pilot 0 = [-+]\d\.\d{3}[-+]\d\.\d{3}j\)"),
])
def test_the_first_difference_is_named_in_one_line_after_the_argument(overrides, what):
    with pytest.raises(ConfigError, match=rf"^fit: the fit data has {what} than the test data"
                       ) as err:
        check_compatible(_ctx(**overrides), _ctx(), ("the fit data", "the test data"),
                         arg="fit")
    assert err.value.arg == "fit" and "\n" not in str(err.value)


def test_fields_not_asked_for_or_unknown_on_one_side_are_not_compared():
    other_sequence = _ctx(pilots={"pattern": "channelnet-48", "sequence_seed": 5})
    check_compatible(other_sequence, _ctx(), fields=("grid", "mask"))
    layout_only = context_from_checkpoint({"mask": _ctx().mask.astype(int).tolist()})
    check_compatible(layout_only, _ctx(grid={"carrier_frequency": 3.5e9}))
