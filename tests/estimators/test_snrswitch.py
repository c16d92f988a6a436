"""SNRSwitchEstimator routes each grid to the member trained nearest its SNR."""

import torch

from chanest.estimators import observe
from chanest.estimators.base import Estimate, Estimator
from chanest.estimators.snrswitch import SNRSwitchEstimator


class _Constant(Estimator):
    """Returns the constant ``value`` everywhere and records the noise levels it saw."""

    def __init__(self, ctx, value: float):
        super().__init__(ctx)
        self.value, self.seen = value, []

    def estimate(self, obs):
        self.seen.append(obs.no.clone())
        B, L = obs.y.shape[:2]
        S, F = self.ctx.mask.shape
        h = torch.full((B, L, S, F), self.value, dtype=torch.complex64)
        return Estimate(h, torch.full((B, L, S, F), self.value, dtype=torch.float32))


def test_each_grid_goes_to_the_member_nearest_its_snr_and_keeps_its_place(sim_data):
    ctx, batch = sim_data(12, noise={"snr_db": [0.0, 9.0, 21.0, 30.0]})
    members = {10.0: _Constant(ctx, 10.0), 20.0: _Constant(ctx, 20.0),
               0.0: _Constant(ctx, 0.0)}
    out = SNRSwitchEstimator(members).estimate(observe(batch))
    expected = torch.tensor([{0.0: 0.0, 9.0: 10.0, 21.0: 20.0, 30.0: 20.0}[float(s)]
                             for s in batch.snr_db])
    assert torch.equal(out.h_hat[:, 0, 0, 0].real, expected)
    assert torch.equal(out.err_var[:, 0, 0, 0], expected)
    seen = 10 * torch.log10(1 / torch.cat(members[20.0].seen))
    assert torch.all(((seen - 21.0).abs() < 0.01) | ((seen - 30.0).abs() < 0.01))


def test_members_are_ordered_by_snr_and_the_context_is_shared(sim_data):
    ctx, _ = sim_data(4)
    switch = SNRSwitchEstimator({20.0: _Constant(ctx, 2.0), 5.0: _Constant(ctx, 1.0)})
    assert switch.snrs == [5.0, 20.0] and switch.ctx is ctx
    assert [m.value for m in switch.members] == [1.0, 2.0]
