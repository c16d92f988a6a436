"""The ls-sionna map: separable linear interpolation with linear extrapolation, and the
cover-code tile average of ls-sionna-pusch."""

import numpy as np
import pytest

from chanest.estimators.ls import interpolation_matrix
from chanest.estimators.sionna_ls import cdm_average_matrix, sionna_linear_matrix


def _bilinear(points):
    s, f = points[..., 0], points[..., 1]
    return 0.3 - 0.05 * s + 0.02 * f + 0.004 * s * f


def test_bilinear_channels_are_reproduced_everywhere_including_beyond_the_pilots():
    """Frequency then time, both linear and extrapolated: exact for a + b·s + c·f + d·s·f
    on every RE; ls-linear (held constant outside the hull) is not."""
    mask = np.zeros((14, 72), bool)
    mask[2, 1:70:4] = mask[11, 3:72:4] = True  # staggered combs, edges not covered
    grid = np.argwhere(np.ones_like(mask)).astype(float)
    pilots = np.argwhere(mask).astype(float)
    np.testing.assert_allclose(sionna_linear_matrix(mask) @ _bilinear(pilots),
                               _bilinear(grid), atol=1e-12)
    assert np.abs(interpolation_matrix(mask, "linear") @ _bilinear(pilots)
                  - _bilinear(grid)).max() > 0.1


def test_time_average_uses_the_mean_of_the_pilot_symbols_on_every_symbol():
    mask = np.zeros((6, 8), bool)
    mask[1, [0, 4]] = mask[4, [2, 6]] = True
    w = sionna_linear_matrix(mask, time_avg=True).reshape(6, 8, 4)
    assert np.allclose(w, w[:1])  # the same on every symbol
    # subcarrier 2: symbol 1 halfway between its pilots, symbol 4 on its pilot; mean of both
    np.testing.assert_allclose(w[0, 2], [0.25, 0.25, 0.5, 0.0])


def test_tile_average_pairs_adjacent_pilots_and_symbols():
    mask = np.zeros((6, 8), bool)
    mask[1, [0, 2, 4]] = mask[2, [0, 2, 4]] = True  # three pilots per symbol: a short last run
    a = cdm_average_matrix(mask, cdm_freq=2)
    np.testing.assert_allclose(a[:3, :3], [[0.5, 0.5, 0], [0.5, 0.5, 0], [0, 0, 1]])
    both = cdm_average_matrix(mask, cdm_freq=2, cdm_time=2)
    np.testing.assert_allclose(both[0], [0.25, 0.25, 0, 0.25, 0.25, 0])
    assert np.array_equal(cdm_average_matrix(mask), np.eye(6))
    mask[2, 4] = False
    with pytest.raises(ValueError, match="different subcarriers"):
        cdm_average_matrix(mask, cdm_time=2)
