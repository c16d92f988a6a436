"""Per-SNR model families: route each grid to the member trained nearest its SNR.

ChannelNet's protocol trains one network per SNR; at run time the receiver
knows the noise variance, so picking the member trained nearest the measured
SNR is a practical estimator, not a genie.
"""

from __future__ import annotations

import torch

from chanest.estimators.base import Estimate, Estimator, Observation
from chanest.metrics import nearest_index, snr_db

__all__ = ["SNRSwitchEstimator"]


class SNRSwitchEstimator(Estimator):
    """Args: members, {training SNR [dB]: estimator} sharing one grid context."""

    def __init__(self, members: dict[float, Estimator], name: str = "per-snr"):
        first = next(iter(members.values()))
        super().__init__(first.ctx, first.device)
        self.name = name
        self.snrs = sorted(members)
        self.members = [members[s] for s in self.snrs]

    def estimate(self, obs: Observation) -> Estimate:
        snr = snr_db(obs.no)  # [B]
        table = torch.tensor(self.snrs, dtype=snr.dtype, device=snr.device)
        pick = nearest_index(snr, table)  # [B]
        h_hat = err = None
        for i, member in enumerate(self.members):
            sel = torch.nonzero(pick == i).squeeze(1)
            if sel.numel() == 0:
                continue
            side = obs.side
            if side is not None:
                side = type(side)(side.model[sel], side.delay_spread[sel], side.doppler[sel])
            part = member.estimate(Observation(obs.y[sel], obs.no[sel], side))
            if h_hat is None:
                h_hat = torch.empty((len(obs.no), *part.h_hat.shape[1:]), dtype=part.h_hat.dtype,
                                    device=part.h_hat.device)
                err = torch.empty((len(obs.no), *part.err_var.shape[1:]),
                                  dtype=part.err_var.dtype, device=part.err_var.device)
            h_hat[sel], err[sel] = part.h_hat, part.err_var
        return Estimate(h_hat=h_hat, err_var=err)
