"""Estimators warn once, naming the assumption, when an input breaks it."""

import warnings

import numpy as np
import pytest

from chanest.estimators.registry import build_estimator
from chanest.warn import ChanestWarning


def _build(name, ctx):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ChanestWarning)
        build_estimator(name, ctx)
    return [str(w.message) for w in caught if issubclass(w.category, ChanestWarning)]


def test_dft_warns_on_an_irregular_pilot_mask_and_not_on_a_lattice(sim_data, tmp_path):
    mask = np.zeros((14, 72), dtype=int)
    mask[2, 10:22] = 1  # pilots bunched in one part of the band
    mask[9, 40:64:2] = 1
    path = tmp_path / "mask.npy"
    np.save(path, mask)
    ctx, _ = sim_data(4, pilots={"pattern": "file", "path": str(path)})
    msgs = _build("dft", ctx)
    assert len(msgs) == 1 and msgs[0].startswith("dft: the pilots on symbol")
    assert "amplifies the pilot noise" in msgs[0] and "regular comb" in msgs[0]
    ctx48, _ = sim_data(4)
    assert _build("dft", ctx48) == []


@pytest.mark.parametrize("profile,warned", [("ETU", True), ("PedA", False)])
def test_robust_lmmse_warns_when_the_channel_outlasts_the_cp(profile, warned, sim_data):
    """ETU (5 us) on a 30 kHz NR grid (CP 2.3 us) breaks the design; PedA (0.41 us) does not
    (48 subcarriers of the NR numerology: the CP, not the width, decides)."""
    ctx, _ = sim_data(4, grid={"preset": "nr-624x14", "num_subcarriers": 48},
                      pilots={"pattern": "comb", "spacing": 4},
                      channel={"model": "pdp", "profile": profile})
    msgs = _build("lmmse-robust", ctx)
    assert bool(msgs) == warned
    if warned:
        assert "beyond the design's uniform PDP up to the cyclic prefix" in msgs[0]
