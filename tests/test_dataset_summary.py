"""The dataset summary ``inspect`` prints: grids and parameter ranges per model, the SNR
histogram and the measured channel power, from the dataset's own columns."""

from types import SimpleNamespace

import numpy as np
import pytest

from chanest.data.dataset import DatasetWriter, open_dataset
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.data.summary import model_stats, snr_histogram, summarise_dataset


@pytest.fixture
def two_models(tmp_path):
    scn = parse_config({"seed": 2, "chunk_size": 32, "channel": {"num_rx_antennas": 2, "models": [
        {"model": "pdp", "profile": "EPA", "speed_mps": 3},
        {"model": "tdl", "profile": "A", "delay_spread_ns": [30, 300], "speed_mps": [1, 10]}]},
        "noise": {"snr_db": [0, 10, 20]}})
    path = tmp_path / "d.h5"
    DatasetWriter(path, Simulator(scn), 60).run()
    with open_dataset(path) as ds:
        yield ds


def test_summary_counts_every_grid_once_and_ranges_hold_the_configured_parameters(two_models):
    s = summarise_dataset(two_models, power_samples=25)
    epa, tdl = s.models
    assert (epa.label, tdl.label) == ("pdp-EPA", "tdl-A")
    assert epa.grids + tdl.grids == s.grids == 60 and epa.grids > 0 and tdl.grids > 0
    assert epa.speed_mps == pytest.approx((3.0, 3.0))
    assert 1 <= tdl.speed_mps[0] <= tdl.speed_mps[1] <= 10
    assert 30 <= tdl.delay_spread_ns[0] < tdl.delay_spread_ns[1] <= 300
    assert [(b.lo, b.count, b.exact) for b in s.snr] == [(0, 20, True), (10, 20, True),
                                                           (20, 20, True)]
    h = two_models.read(0, 25).h.numpy()
    assert s.power_grids == 25 and s.power == pytest.approx(np.mean(np.abs(h) ** 2))
    assert (s.h_shape, s.y_shape, s.pilots) == ((2, 14, 72), (2, s.pilots), s.pilots)
    text = "\n".join(s.lines())
    assert "pdp-EPA: " in text and "SNR histogram:" in text and "over 25 grids" in text


def test_power_is_measured_over_at_most_the_grids_there_are(two_models):
    assert summarise_dataset(two_models, power_samples=10**6).power_grids == 60


def test_many_distinct_snrs_are_counted_in_ten_bins_and_few_per_value():
    rng = np.random.default_rng(0)
    values = rng.uniform(-5, 25, 500)
    bins = snr_histogram(values)
    assert len(bins) == 10 and sum(b.count for b in bins) == 500
    assert bins[0].lo == values.min() and bins[-1].hi == values.max()
    assert not bins[0].exact and bins[0].line().startswith("[")
    few = snr_histogram(np.repeat(np.arange(16.0), 3))
    assert len(few) == 16 and all(b.exact and b.count == 3 for b in few)


def test_a_model_without_grids_is_listed_with_zero_grids():
    columns = {"model": np.array([0, 0]), "delay_spread": np.array([1e-7, 2e-7]),
               "doppler": np.array([5.0, 6.0]), "speed": np.array([1.0, 2.0])}
    ds = SimpleNamespace(labels=["a", "b"], column=columns.__getitem__)
    a, b = model_stats(ds)
    assert a.grids == 2 and a.delay_spread_ns == pytest.approx((100, 200))
    assert (b.grids, b.line()) == (0, "b: 0 grids")
