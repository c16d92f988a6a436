"""Pilot layouts that cannot support estimation are reported (sampling theorem)."""

import warnings

import pytest

from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.warn import ChanestWarning


def _problems(pilots, channel=None):
    data = {"chunk_size": 8, "pilots": pilots}
    if channel:
        data["channel"] = channel
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ChanestWarning)
        Simulator(parse_config(data))
    return [str(w.message) for w in caught if issubclass(w.category, ChanestWarning)]


@pytest.mark.parametrize("pilots,fragment", [
    ({"pattern": "comb", "spacing": 100}, "carries a single pilot"),
    ({"pattern": "kronecker", "symbols": [2, 9], "spacing": 100}, "carries a single pilot"),
    ({"pattern": "comb", "spacing": 24}, "a spacing of 24 subcarriers undersamples"),
    ({"pattern": "block", "symbols": [3]}, "a single pilot symbol cannot track"),
])
def test_layouts_that_cannot_support_estimation_warn(pilots, fragment):
    msgs = _problems(pilots)
    assert any(fragment in m for m in msgs), msgs


def test_fast_doppler_against_sparse_pilot_symbols_warns():
    msgs = _problems({"pattern": "kronecker", "symbols": [0, 13], "spacing": 6},
                     {"model": "pdp", "profile": "EPA", "doppler_hz": 600})
    assert any("pilot symbols 13 apart undersample a Doppler of up to 600 Hz" in m for m in msgs)


@pytest.mark.parametrize("pilots", [{"pattern": "channelnet-48"}, {"pattern": "channelnet-16"},
                                    {"pattern": "comb", "spacing": 4}])
def test_sound_layouts_do_not_warn(pilots):
    assert _problems(pilots) == []
