"""Separable LMMSE passes: 1-D LMMSE per line, composition, edge cases."""

import numpy as np
import torch

from chanest.estimators.separable import filter_pass, separable_weights


def _cov(n, rho):
    idx = torch.arange(n, dtype=torch.float64)
    return (rho ** (idx[:, None] - idx[None, :]).abs()).to(torch.complex128)


def test_one_pass_is_the_1d_lmmse_of_each_line():
    r = _cov(8, 0.9)
    valid = torch.zeros(2, 8, dtype=torch.bool)
    valid[0, [1, 5]] = True
    valid[1, [0, 3, 7]] = True
    noise = torch.where(valid, 0.1, 0.0).double()
    m = torch.eye(16, dtype=torch.complex128).reshape(2, 8, 16)
    out, now_valid, err = filter_pass(m, valid, noise, r)
    assert now_valid.all()
    for o in range(2):
        v = torch.nonzero(valid[o]).squeeze(1)
        a = r[:, v] @ torch.linalg.inv(r[v][:, v] + 0.1 * torch.eye(len(v)))
        torch.testing.assert_close(out[o][:, o * 8 + v], a)
        torch.testing.assert_close(err[o], (torch.diagonal(r) - torch.diagonal(a @ r[v])).real)


def test_lines_without_estimates_are_left_for_the_next_pass():
    r = _cov(4, 0.5)
    valid = torch.tensor([[True, False, False, False], [False] * 4])
    m = torch.zeros(2, 4, 1, dtype=torch.complex128)
    m[0, 0, 0] = 1
    out, now_valid, _ = filter_pass(m, valid, torch.zeros(2, 4, dtype=torch.float64), r)
    assert now_valid[0].all() and not now_valid[1].any()
    assert (out[1] == 0).all()


def test_every_re_a_pilot_and_no_noise_is_the_identity():
    mask = np.ones((3, 5), bool)
    for order in ("f-t", "t-f"):
        w = separable_weights(mask, _cov(3, 0.8), _cov(5, 0.7), 1e-12, order)
        torch.testing.assert_close(w, torch.eye(15, dtype=torch.complex128), atol=1e-6, rtol=0)
