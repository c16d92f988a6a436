"""chanest.grid.despread: cover codes, exact recovery of code-division streams over FD-OCC,
TD-OCC and 2 × 2 tiles, noise gain, refusal of non-orthogonal codes, own-RE LS."""

from __future__ import annotations

import numpy as np
import pytest

from chanest.grid.despread import cover_codes, despread
from chanest.schema import ConfigError

S, W = 14, 24
PILOT_COLS = np.arange(0, W, 2)  # a comb on every other subcarrier, as DM-RS type 1
AMP2 = 2.0  # |x|² of each pilot RE (QPSK ±1 ± 1j)


def _qpsk(rng, n):
    return rng.choice([-1.0, 1.0], n) + 1j * rng.choice([-1.0, 1.0], n)


def _code_division(syms, kf, kt, rng):
    """K = kf·kt streams on the REs PILOT_COLS × ``syms``: one QPSK sequence shared by
    all streams times stream k's cover (row k of cover_codes(K), laid out row-major over
    a kt × kf tile). Returns flat RE indices [Q], values [K][Q], the tile of each RE [Q]
    and the tiles' centres [G, 2] (mean symbol and subcarrier, rounded down)."""
    K = kf * kt
    rows, cols = np.meshgrid(syms, PILOT_COLS, indexing="ij")  # [len(syms), F]
    ti, fi = np.meshgrid(np.arange(len(syms)) // kt, np.arange(len(PILOT_COLS)) // kf,
                         indexing="ij")
    within = (np.arange(len(syms)) % kt)[:, None] * kf + (np.arange(len(PILOT_COLS)) % kf)
    tile = (ti * (len(PILOT_COLS) // kf) + fi).ravel()
    q = _qpsk(rng, tile.size)
    values = [q * cover_codes(K)[k][within.ravel()] for k in range(K)]
    centres = np.array([[np.floor(rows.ravel()[tile == g].mean()),
                         np.floor(cols.ravel()[tile == g].mean())]
                        for g in range(tile.max() + 1)]).astype(int)
    return (rows * W + cols).ravel(), values, tile, centres


@pytest.mark.parametrize("k", [2, 3, 4])
def test_cover_codes_are_orthogonal_and_k2_is_nrs(k):
    c = cover_codes(k)
    assert c.shape == (k, k)
    np.testing.assert_allclose(c @ c.conj().T, k * np.eye(k), atol=1e-12)
    if k == 2:
        np.testing.assert_array_equal(c, [[1, 1], [1, -1]])


CASES = {"frequency-cover": ([2, 11], 2, 1),
         "time-cover": ([2, 3, 10, 11], 1, 2),
         "2x2-tiles": ([2, 3, 10, 11], 2, 2)}


@pytest.mark.parametrize("syms,kf,kt", CASES.values(), ids=CASES.keys())
def test_streams_on_shared_res_are_recovered_exactly_at_the_tile_centres(syms, kf, kt):
    rng = np.random.default_rng(kf * 10 + kt)
    flat, values, tile, centres = _code_division(syms, kf, kt, rng)
    K = kf * kt
    h = rng.standard_normal((K, len(centres))) + 1j * rng.standard_normal((K, len(centres)))
    y = np.zeros(S * W, dtype=complex)  # the streams' pilots through per-tile channels
    for k in range(K):
        y[flat] += h[k, tile] * values[k]
    perm = rng.permutation(flat.size)  # despread must not rely on the REs' order
    parts = despread(flat[perm], [v[perm] for v in values], S, W)
    assert len(parts) == K
    order = np.argsort(centres[:, 0] * W + centres[:, 1])  # row-major
    for k, part in enumerate(parts):
        np.testing.assert_array_equal(np.argwhere(part.mask), centres[order])
        assert part.src.shape == part.weights.shape == (len(centres), K)
        z = np.sum(part.weights * y[part.src], axis=1)
        np.testing.assert_allclose(z, h[k, order], rtol=1e-5, atol=1e-5)
        # each LS value combines exactly the REs of its tile
        by_tile = flat[np.argsort(tile, kind="stable")].reshape(-1, K)[order]
        np.testing.assert_array_equal(np.sort(part.src, axis=1), np.sort(by_tile, axis=1))


@pytest.mark.parametrize("syms,kf,kt", CASES.values(), ids=CASES.keys())
def test_noise_gain_is_one_over_the_tiles_pilot_energy(syms, kf, kt):
    flat, values, _, _ = _code_division(syms, kf, kt, np.random.default_rng(1))
    for part in despread(flat, values, S, W):
        assert part.noise_gain == pytest.approx(1 / (kf * kt * AMP2))
        # and it is the noise variance the weights give an LS value: Σ|w|² · no
        np.testing.assert_allclose(np.sum(np.abs(part.weights) ** 2, axis=1),
                                   part.noise_gain, rtol=1e-6)


def test_non_orthogonal_codes_are_refused():
    rng = np.random.default_rng(2)
    flat, values, _, _ = _code_division([2, 3], 2, 1, rng)
    with pytest.raises(ConfigError, match="orthogonal"):
        despread(flat, [values[0], values[0]], S, W)  # the same code twice
    # cover [+ + − −] against [+ + + +]: orthogonal over 4 REs, not over any 2-RE tile
    q = _qpsk(rng, len(PILOT_COLS))
    flat = 2 * W + PILOT_COLS
    with pytest.raises(ConfigError, match="orthogonal"):
        despread(flat, [q, q * np.tile([1, 1, -1, -1], len(q) // 4)], S, W)


def test_a_stream_on_its_own_res_gets_y_over_x_there():
    rng = np.random.default_rng(3)
    flat = rng.choice(S * W, 30, replace=False)  # any REs, in any order
    x = _qpsk(rng, 30)
    y = rng.standard_normal(S * W) + 1j * rng.standard_normal(S * W)
    (part,) = despread(flat, [x], S, W)
    order = np.argsort(flat)
    np.testing.assert_array_equal(np.flatnonzero(part.mask), flat[order])
    np.testing.assert_array_equal(part.src[:, 0], flat[order])
    np.testing.assert_allclose(np.sum(part.weights * y[part.src], axis=1),
                               (y[flat] / x)[order], rtol=1e-6)
    assert part.noise_gain == pytest.approx(1 / AMP2)
