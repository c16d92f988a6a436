"""DFT estimator: Edfors' IDFT-truncate-DFT on a full comb, exactness for on-grid delays."""

import numpy as np
import torch

from chanest.estimators import Observation
from chanest.estimators.dft import delay_taps, dft_matrix
from chanest.estimators.registry import build_estimator


def test_delay_taps_guards_and_trimming():
    assert delay_taps(4, 1, 12).tolist() == [-1, 0, 1, 2, 3, 4]
    assert delay_taps(4, 2, 7).tolist() == [-1, 0, 1, 2, 3, 4, 5]
    assert delay_taps(4, 1, 3).tolist() == [0, 1, 2]


def test_full_comb_equals_idft_truncate_dft():
    S, F, D, o = 3, 72, 4, 1
    mask = np.zeros((S, F), bool)
    mask[:, o::D] = True
    K = F // D
    taps = delay_taps(5, 1, K)
    w = dft_matrix(mask, 5, guard=1).reshape(S, F, S * K)[1][:, K:2 * K]  # symbol 1 → itself
    rng = np.random.default_rng(0)
    z = rng.standard_normal(K) + 1j * rng.standard_normal(K)
    g = np.fft.ifft(z)  # K-point IDFT: g'[n mod K]
    keep = np.zeros(K, bool)
    keep[np.mod(taps, K)] = True
    k = np.arange(F)
    ref = sum(g[n % K] * np.exp(2j * np.pi * o * n / F) * np.exp(-2j * np.pi * k * n / F)
              for n in taps)
    np.testing.assert_allclose(w @ z, ref, atol=1e-10)
    assert keep.sum() == len(taps)


def test_noiseless_on_grid_channel_is_recovered_exactly(sim_data):
    ctx, _ = sim_data(2, pilots={"pattern": "channelnet-48"})
    S, F = ctx.mask.shape
    k = np.arange(F)
    h_f = 0.8 * np.exp(-2j * np.pi * k * 0 / F) + 0.6j * np.exp(-2j * np.pi * k * 2 / F)
    h = torch.as_tensor(np.broadcast_to(h_f, (1, 1, S, F)).copy(), dtype=torch.complex64)
    y = h.flatten(2)[..., ctx.pilot_idx] * torch.as_tensor(ctx.pilots)
    out = build_estimator("dft", ctx, max_delay=3 / (F * ctx.grid.subcarrier_spacing)).estimate(
        Observation(y=y, no=torch.zeros(1)))
    torch.testing.assert_close(out.h_hat, h, atol=1e-5, rtol=1e-5)
