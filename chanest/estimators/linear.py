"""Estimators that are a linear map of the LS pilots, precomputed once per noise level.

``ĥ = W(no) · z`` with ``z = y / x_p`` the LS estimate at the pilots ([B, L, P]) and
``W(no)`` an [N, P] matrix built in float64 and applied in complex64 as one batched
matmul. Estimators whose W does not depend on ``no`` (interpolators, DFT) build it
once; the others build one per noise level quantised to 0.01 dB (a change of at
most 0.12 % in ``no``) and keep an LRU cache under a byte budget (``cache_mb``; the
filters of the current batch are always kept). Building costs O(N·P²) (the error
model), e.g. seconds at 624×14 with P = 312, minutes at 3276×14 with P = 1638.

``err_var`` is the exact per-RE MSE of that linear map under the estimator's
*prior* (see :func:`~chanest.estimators.statistics.linear_map_error`):
``bias + no · gain`` with the per-sample ``no``. The prior is the scenario's
nominal statistics, or the fitted ones after :meth:`fit`; it is a prediction
that is calibrated on average over the scenario, not a per-sample error.
"""

from __future__ import annotations

from abc import abstractmethod
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch

from chanest.estimators.base import Estimate, Estimator, GridContext, Observation
from chanest.estimators.covmodels import nominal_covariance
from chanest.estimators.statistics import (
    PriorBlocks,
    fit_prior,
    lagcov_blocks,
    linear_map_error,
)
from chanest.metrics import snr_db
from chanest.schema import ConfigError

__all__ = ["LinearFilter", "PilotEstimator", "LinearFilterEstimator", "ls_at_pilots", "no_keys",
           "key_to_no", "nominal_prior", "check_unit_pilots"]

#: noise-level quantisation step of cached filters [dB]
NO_STEP_DB = 0.01


def check_unit_pilots(ctx: GridContext) -> None:
    """The noise model n/x_p ~ CN(0, no) needs unit-modulus pilots."""
    mod = np.abs(np.asarray(ctx.pilots))
    if mod.size == 0 or not np.allclose(mod, 1.0, atol=1e-4):
        raise ConfigError("pilots: estimators need unit-modulus pilot symbols "
                          f"(|x_p| in [{mod.min():.3g}, {mod.max():.3g}])")


def ls_at_pilots(y: torch.Tensor, inv_pilots: torch.Tensor) -> torch.Tensor:
    """LS pilot estimate z = y / x_p. y: [B, L, P]; inv_pilots: [P]. Returns [B, L, P]."""
    return y * inv_pilots


def no_keys(no: torch.Tensor) -> torch.Tensor:
    """[B] int64 noise-level keys: 10·log10(no) in steps of :data:`NO_STEP_DB`."""
    no_db = -snr_db(no.double())  # noiseless -> 120 dB SNR
    return torch.round(no_db / NO_STEP_DB).long()


def key_to_no(key: int) -> float:
    return 10.0 ** (key * NO_STEP_DB / 10.0)


def nominal_prior(ctx: GridContext) -> PriorBlocks | None:
    """Blocks of the scenario's nominal covariance (average over its ranges); None without
    scenario statistics (a bare Sionna resource grid, or a model such as UMi whose taps are
    drawn per grid)."""
    if not ctx.profiles or any(len(p.delays) == 0 for p in ctx.profiles):
        return None
    return lagcov_blocks(nominal_covariance(ctx, "average"), ctx.pilot_idx)


@dataclass
class LinearFilter:
    """A precomputed filter on the device.

    Attributes:
        wt: [P, N] complex64, W transposed (so that ĥ = z @ wt).
        bias: [N] float32, gain: [N] float32 (err_var = bias + no·gain).
    """

    wt: torch.Tensor
    bias: torch.Tensor
    gain: torch.Tensor

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (self.wt, self.bias, self.gain))


class PilotEstimator(Estimator):
    """Base of pilot-based estimators: LS front end and [B, L, S, F] output layout."""

    def __init__(self, ctx: GridContext, device: str = "cpu"):
        super().__init__(ctx, device)
        check_unit_pilots(ctx)
        self._inv_pilots = torch.as_tensor(1.0 / np.asarray(ctx.pilots), dtype=torch.complex64,
                                           device=device)  # [P]

    def _front(self, obs: Observation) -> tuple[torch.Tensor, torch.Tensor]:
        """z: [B, L, P] LS pilots, no: [B] float32, on the estimator's device."""
        return (ls_at_pilots(obs.y.to(self.device), self._inv_pilots),
                obs.no.to(self.device).float())

    def _grid(self, h: torch.Tensor, err: torch.Tensor) -> Estimate:
        """h [B, L, N] and err [B, N] → Estimate with [B, L, S, F] tensors."""
        B, L, _ = h.shape
        S, F = self.ctx.mask.shape
        return Estimate(h.reshape(B, L, S, F),
                        err.reshape(B, 1, S, F).expand(B, L, S, F).contiguous())


class LinearFilterEstimator(PilotEstimator):
    """Base class: subclasses implement :meth:`weights` (and set ``noise_dependent``)."""

    #: whether W depends on the noise level
    noise_dependent: bool = False

    def __init__(self, ctx: GridContext, device: str = "cpu", cache_mb: float = 256.0):
        super().__init__(ctx, device)
        self._prior: PriorBlocks | None = None
        self._cache: OrderedDict[int, LinearFilter] = OrderedDict()
        self._cache_bytes = int(cache_mb * 2**20)

    # -- what subclasses provide -------------------------------------------
    @abstractmethod
    def weights(self, no: float) -> torch.Tensor:
        """[N, P] complex (float64 precision) linear map for noise variance ``no``."""

    # -- statistics ---------------------------------------------------------
    @property
    def prior(self) -> PriorBlocks | None:
        """Statistics used to predict the error (nominal unless fitted; None when the
        context has no statistics: err_var then counts the noise only, as Sionna's LS)."""
        if self._prior is None:
            self._prior = nominal_prior(self.ctx)
        return self._prior

    def fit(self, dataset) -> LinearFilterEstimator:
        """Replace the nominal statistics of the error model by fitted ones."""
        self._prior = fit_prior(dataset, self.ctx.pilot_idx, device="cpu")
        self._cache.clear()
        return self

    def provenance(self) -> dict:
        if self.prior is None:
            return {"err_var": "noise only (no channel statistics: interpolation error "
                               "not counted)"}
        return {"err_var": "MSE of the linear map under: " + self.prior.description}

    # -- filters ------------------------------------------------------------
    def _filter(self, key: int) -> LinearFilter:
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        w = self.weights(key_to_no(key)).to(torch.complex128).cpu()  # [N, P]
        if self.prior is None:
            bias, gain = torch.zeros(w.shape[0], dtype=torch.float64), (w.abs() ** 2).sum(-1)
        else:
            bias, gain = linear_map_error(w, self.prior)
        filt = LinearFilter(w.T.to(torch.complex64).contiguous().to(self.device),
                            bias.float().to(self.device), gain.float().to(self.device))
        self._cache[key] = filt
        return filt

    def _trim(self, keep: set[int]) -> None:
        """Evict least-recently-used filters beyond the byte budget, except ``keep``."""
        for key in list(self._cache):
            if sum(f.nbytes for f in self._cache.values()) <= self._cache_bytes:
                break
            if key not in keep:
                del self._cache[key]

    def estimate(self, obs: Observation) -> Estimate:
        """ĥ = W(no)·(y/x_p) per sample; err_var = bias + no·gain. Shapes [B, L, S, F]."""
        z, no = self._front(obs)  # [B, L, P], [B]
        B, L, _ = z.shape
        S, F = self.ctx.mask.shape
        keys = no_keys(no) if self.noise_dependent else torch.zeros(B, dtype=torch.long)
        batch_keys = set(torch.unique(keys).tolist())
        if len(batch_keys) == 1:  # one filter for the whole batch
            filt = self._filter(next(iter(batch_keys)))
            h = z @ filt.wt  # [B, L, N]
            err = filt.bias + no[:, None] * filt.gain  # [B, N]
        else:
            h = torch.empty(B, L, S * F, dtype=torch.complex64, device=self.device)
            err = torch.empty(B, S * F, dtype=torch.float32, device=self.device)
            for key in batch_keys:
                idx = torch.nonzero(keys == key).squeeze(1)
                filt = self._filter(key)
                h[idx] = z[idx] @ filt.wt
                err[idx] = filt.bias + no[idx, None] * filt.gain
        self._trim(keep=batch_keys)
        return self._grid(h, err)

