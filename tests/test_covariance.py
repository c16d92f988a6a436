"""Closed-form statistics: structure and limits of the covariance helpers."""

import subprocess
import sys
from pathlib import Path

import numpy as np

from chanest.channels.profiles import PDP_TABLES, pdp_table_profile, rms_delay_spread
from tests.reference_covariance import (
    freq_correlation,
    grid_covariance,
    lmmse_error_covariance,
    lmmse_mse,
    time_correlation,
)


def _veha_grid_cov(S=14, F=72, fd=100.0):
    p = pdp_table_profile("VehA")
    r_f = freq_correlation(np.arange(F) * 15e3, p.delays, p.powers)
    r_t = time_correlation(np.arange(S) * 71.4e-6, fd)
    return grid_covariance(r_t, r_f)


def test_profiles_are_normalised_and_match_tables():
    for name in PDP_TABLES:
        p = pdp_table_profile(name)
        assert np.isclose(p.powers.sum(), 1.0) and len(p.delays) == len(PDP_TABLES[name][0])
    # ITU Vehicular-A has an RMS delay spread of about 370 ns
    p = pdp_table_profile("VehA")
    assert abs(rms_delay_spread(p.delays, p.powers) * 1e9 - 370) < 2


def test_grid_covariance_is_a_unit_power_correlation_matrix():
    r = _veha_grid_cov()
    assert np.allclose(r, r.conj().T)
    assert np.allclose(np.diag(r).real, 1.0)
    assert np.linalg.eigvalsh(r).min() > -1e-8
    # row-major (symbol, subcarrier): entry (s=0,f=5),(s=0,f=0) is R_f[5, 0]
    p = pdp_table_profile("VehA")
    assert np.isclose(r[5, 0], np.sum(p.powers * np.exp(-2j * np.pi * 5 * 15e3 * p.delays)))


def test_lmmse_mse_limits():
    r = _veha_grid_cov(S=4, F=24)
    everything = np.arange(r.shape[0])
    assert lmmse_mse(r, everything, 1e-9) < 1e-6  # all REs observed, no noise: exact
    assert abs(lmmse_mse(r, everything[:5], 1e9) - 1.0) < 1e-6  # infinite noise: prior
    # more noise never helps, more pilots never hurt
    pilots = everything[::6]
    assert lmmse_mse(r, pilots, 0.01) < lmmse_mse(r, pilots, 0.1)
    assert lmmse_mse(r, everything[::3], 0.1) <= lmmse_mse(r, pilots, 0.1) + 1e-12


def test_lmmse_error_at_pilots_is_below_noise():
    r = _veha_grid_cov(S=4, F=24)
    pilots = np.arange(0, r.shape[0], 4)
    err = np.diag(lmmse_error_covariance(r, pilots, 0.1)).real
    assert np.all(err[pilots] < 0.1) and np.all(err >= -1e-12)


def test_cli_runs_as_a_script():
    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "cli.py", "info"], cwd=repo, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and "channelnet-48" in out.stdout
