"""Pilot patterns: exact positions of the standard lattices and the generic patterns."""

import numpy as np
import pytest

from chanest.data.scenario import parse_config
from chanest.grid.ofdm import (
    CHANNELNET_LATTICES,
    pilot_mask,
    pilot_values,
    subcarrier_frequencies,
)
from chanest.schema import ConfigError


def mask_of(pilots, grid=None):
    sc = parse_config({"pilots": pilots, **({"grid": grid} if grid else {})})
    return pilot_mask(sc.pilots, sc.grid)


def test_channelnet_48_positions():
    m = mask_of({"pattern": "channelnet-48"})
    assert m.shape == (14, 72) and m.sum() == 48
    assert list(np.flatnonzero(m.any(axis=1))) == [0, 4, 7, 11]
    assert list(np.flatnonzero(m[0])) == list(range(1, 72, 6))
    assert list(np.flatnonzero(m[4])) == list(range(4, 72, 6))
    assert list(np.flatnonzero(m[7])) == list(range(1, 72, 6))
    assert list(np.flatnonzero(m[11])) == list(range(4, 72, 6))


def test_channelnet_16_positions():
    m = mask_of({"pattern": "channelnet-16"})
    assert m.sum() == 16
    assert list(np.flatnonzero(m.any(axis=1))) == [4, 9]
    assert list(np.flatnonzero(m[4])) == list(range(1, 72, 9))  # 1, 10, ..., 64
    assert list(np.flatnonzero(m[9])) == list(range(4, 72, 9))  # 4, 13, ..., 67


@pytest.mark.parametrize("name", sorted(CHANNELNET_LATTICES))
def test_channelnet_counts(name):
    assert mask_of({"pattern": name}).sum() == int(name.split("-")[1])


def test_block_comb_kronecker_lattice_diamond():
    comb = {"preset": "lte-72x14"}
    assert mask_of({"pattern": "block", "symbols": [2, 11]}).sum() == 2 * 72
    c = mask_of({"pattern": "comb", "spacing": 4, "offset": 1}, comb)
    assert c.sum() == 14 * 18 and c[5, 1] and not c[5, 0]
    k = mask_of({"pattern": "kronecker", "symbols": [3, 10], "spacing": 12, "offset": 2})
    assert list(np.flatnonzero(k.any(1))) == [3, 10] and list(np.flatnonzero(k[3])) == \
        list(range(2, 72, 12))
    lat = mask_of({"pattern": "lattice", "symbols": [0, 5, 9], "spacing": 8, "offsets": [0, 2, 4]})
    assert [np.flatnonzero(lat[s])[0] for s in (0, 5, 9)] == [0, 2, 4]
    d = mask_of({"pattern": "diamond", "symbols": [2, 6, 9, 13], "spacing": 6})
    assert [np.flatnonzero(d[s])[0] for s in (2, 6, 9, 13)] == [0, 3, 0, 3]


def test_dmrs_type1_matches_nr_layout():
    m = mask_of({"pattern": "dmrs", "config_type": 1, "additional_position": 1})
    assert list(np.flatnonzero(m.any(axis=1))) == [2, 11]  # type A, pos 2, one additional
    assert m[2].sum() == 36  # 6 REs per RB for config type 1 (CDM group 0)
    m2 = mask_of({"pattern": "dmrs", "config_type": 2, "additional_position": 0})
    assert list(np.flatnonzero(m2.any(axis=1))) == [2] and m2[2].sum() == 24


def test_mask_from_file(tmp_path):
    base = np.zeros((14, 72), dtype=int)
    base[3, ::5] = 1
    np.save(tmp_path / "m.npy", base)
    np.savetxt(tmp_path / "m.csv", base, delimiter=",", fmt="%d")
    for name in ("m.npy", "m.csv"):
        m = mask_of({"pattern": "file", "path": str(tmp_path / name)})
        assert np.array_equal(m, base.astype(bool))


def test_mask_file_wrong_shape(tmp_path):
    np.save(tmp_path / "m.npy", np.ones((3, 3)))
    with pytest.raises(ConfigError, match=r"pilots.path: mask must have shape \[S, F\]"):
        mask_of({"pattern": "file", "path": str(tmp_path / "m.npy")})


def test_pilot_values_unit_modulus_and_seeded():
    a, b = pilot_values("qpsk", 48, 1), pilot_values("qpsk", 48, 1)
    assert np.allclose(np.abs(a), 1) and np.array_equal(a, b)
    assert not np.array_equal(a, pilot_values("qpsk", 48, 2))
    assert np.all(pilot_values("ones", 5, 0) == 1)


def test_subcarrier_frequencies_match_sionna():
    from sionna.phy.channel import subcarrier_frequencies as sionna_freqs

    for preset in ("lte-72x14", "nr-612x14"):
        sc = parse_config({"grid": {"preset": preset}, "pilots": {"pattern": "comb"}})
        ours = subcarrier_frequencies(sc.grid)
        ref = sionna_freqs(sc.grid.num_subcarriers, sc.grid.subcarrier_spacing).numpy()
        assert np.allclose(ours, ref)
