"""Metrics: exact per-sample values and confidence intervals that cover."""

import math

import numpy as np
import torch

from chanest.metrics import mean_db, ratio_db, sample_errors, to_db


def test_sample_errors_exact_values():
    h = torch.ones(2, 1, 2, 2, dtype=torch.complex64)
    h[1] *= 2
    h_hat = h.clone()
    h_hat[0, 0, 0, 0] += 1.0  # one RE off by 1 in grid 0
    err_var = torch.full((2, 1, 2, 2), 0.5)
    e = sample_errors(h, h_hat, err_var)
    np.testing.assert_allclose(e.mse, [0.25, 0.0])
    np.testing.assert_allclose(e.err, [1.0, 0.0])
    np.testing.assert_allclose(e.power, [4.0, 16.0])
    np.testing.assert_allclose(e.nmse, [0.25, 0.0])
    np.testing.assert_allclose(e.err_var, [0.5, 0.5])
    assert np.isnan(sample_errors(h, h_hat).err_var).all()


def test_db_helpers():
    assert to_db(0.01) == -20.0 and to_db(0) == float("-inf")
    s = mean_db(np.full(10, 0.1))
    assert s.db == -10.0 and s.lo == s.hi == -10.0 and s.n == 10
    assert math.isnan(mean_db(np.array([0.1])).lo)
    assert mean_db(np.array([])).n == 0


def test_mean_ci_covers_at_the_nominal_rate():
    """2000 repetitions of n=200 exponential samples: coverage of the true mean ≈ 95 %."""
    rng = np.random.default_rng(0)
    x = rng.exponential(0.3, size=(2000, 200))
    hits = 0
    for row in x:
        s = mean_db(row)
        hits += s.lo <= to_db(0.3) <= s.hi
    assert 0.93 <= hits / len(x) <= 0.97


def test_ratio_ci_covers_and_pairing_narrows_it():
    rng = np.random.default_rng(1)
    hits, paired_w, unpaired_w = 0, [], []
    for _ in range(1000):
        common = rng.exponential(1.0, 300)  # shared grid difficulty
        a = common * rng.uniform(0.9, 1.1, 300) * 0.5  # a is 3 dB below b on average
        b = common * rng.uniform(0.9, 1.1, 300)
        s = ratio_db(a, b)
        hits += s.lo <= to_db(0.5) <= s.hi
        paired_w.append(s.hi - s.lo)
        unpaired_w.append(math.hypot(mean_db(a).hi - mean_db(a).lo, mean_db(b).hi - mean_db(b).lo))
    assert 0.93 <= hits / 1000 <= 0.97
    assert np.mean(paired_w) < 0.2 * np.mean(unpaired_w)
    same = ratio_db(a, a)
    assert same.db == 0.0 and same.hi - same.lo < 1e-12


def test_snr_db_is_minus_ten_log10_of_the_noise_variance_capped_at_120_db():
    from chanest.metrics import snr_db

    no = torch.tensor([1.0, 0.1, 1e-3, 0.0])
    torch.testing.assert_close(snr_db(no), torch.tensor([0.0, 10.0, 30.0, 120.0]))


def test_nearest_index_picks_the_closest_table_entry_and_the_first_on_a_tie():
    from chanest.metrics import nearest_index

    table = torch.tensor([0.0, 10.0, 20.0])
    values = torch.tensor([-3.0, 4.9, 5.0, 16.0, 40.0])
    assert nearest_index(values, table).tolist() == [0, 0, 0, 2, 2]
