"""Validation: NMSE overall and per SNR, the checkpoint score, the per-SNR error map.

NMSE = Σ‖h − ĥ‖² / Σ‖h‖² over the grids (as ``evaluate`` reports it), per 1 dB SNR bin;
the score that picks the best checkpoint is the *mean over SNRs of the per-SNR NMSE in
dB*, so no SNR range decides alone. The error map (per SNR bin, the mean normalised
per-RE squared error [S, F]) becomes a trained network's ``err_var``.
"""

from __future__ import annotations

import numpy as np
import torch

from chanest.metrics import to_db
from chanest.training.distributed import all_reduce_sum

__all__ = ["SNR_BINS", "validate"]

SNR_BINS = np.arange(-50, 101)  # validation error map bins (1 dB)


@torch.no_grad()
def validate(forward, front, batches, mask_shape: tuple[int, int], device: str, dist) -> dict:
    """Validation metrics of a model.

    Args:
        forward: batch → (out [N, 2, S, F], logvar or None, scale [B, L]).
        front: the model's :class:`~chanest.estimators.neural.NeuralFrontEnd`.
        batches: this rank's validation batches.  mask_shape: (S, F).

    Returns:
        ``nmse_db``, ``per_snr_db`` {SNR bin: NMSE dB}, ``score_db`` and ``err_map``
        (snr_db [K'], mse [K', S, F]) over the SNR bins seen, summed over ranks.
    """
    S, F = mask_shape
    K = len(SNR_BINS)
    err_energy = torch.zeros(K, dtype=torch.float64, device=device)
    energy = torch.zeros(K, dtype=torch.float64, device=device)
    count = torch.zeros(K, dtype=torch.float64, device=device)
    err_map = torch.zeros(K, S, F, dtype=torch.float64, device=device)
    for batch in batches:
        batch = batch.to(device)
        out, _, scale = forward(batch)
        h_hat = front.outputs(out, scale)  # [B, L, S, F]
        e2 = (h_hat - batch.h).abs() ** 2  # [B, L, S, F]
        idx = (torch.round(batch.snr_db).long() - int(SNR_BINS[0])).clamp(0, K - 1)
        err_energy.index_add_(0, idx, e2.sum(dim=(1, 2, 3)).double())
        energy.index_add_(0, idx, (batch.h.abs() ** 2).sum(dim=(1, 2, 3)).double())
        count.index_add_(0, idx, torch.ones(len(idx), dtype=torch.float64, device=idx.device))
        normed = (e2 / (scale**2)[..., None, None]).mean(dim=1)  # [B, S, F]
        err_map.index_add_(0, idx, normed.double())
    for t in (err_energy, energy, count, err_map):
        all_reduce_sum(t, dist)
    seen = (count > 0).cpu().numpy()
    nmse_db = to_db(err_energy.sum() / energy.sum())
    per_snr = {int(s): to_db(e / h) for s, e, h, ok in
               zip(SNR_BINS, err_energy.cpu(), energy.cpu(), seen) if ok}
    mse = (err_map[count > 0] / count[count > 0, None, None]).float().cpu().numpy()
    return {"nmse_db": nmse_db, "per_snr_db": per_snr,
            "score_db": float(np.mean(list(per_snr.values()))),
            "err_map": (SNR_BINS[seen], mse)}
