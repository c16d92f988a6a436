"""The estimator contract.

Every estimator maps an :class:`Observation` to an :class:`Estimate`::

    estimate(obs) -> Estimate(h_hat [B, L, S, F] complex64, err_var [B, L, S, F] float32)

and may learn statistics or weights in ``fit(dataset)``. Estimators are built
by name from a :class:`~chanest.data.context.GridContext` (what a receiver knows about the system:
grid, pilot mask and symbols, the scenario's nominal channel profiles) via
:mod:`chanest.estimators.registry`.

Every estimator has a :data:`ROLES` ``role``: ``practical`` (a receiver: it uses what a
receiver knows), ``reference`` (genie-aided, reads ``obs.side``, but not a bound of the
metric) or ``bound`` (genie-aided and a bound). The registry sets it from the estimator's
catalog entry; an instance may downgrade itself (a bound built on approximate inputs is a
reference, :mod:`chanest.estimators.peruser`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import torch

from chanest.channels.paths import Paths
from chanest.data.batch import Batch
from chanest.data.context import GridContext  # the record estimators are built from

__all__ = ["ROLES", "GridContext", "Observation", "SideInfo", "Estimate", "Estimator",
           "observe", "estimate_bounded"]

#: what an estimator is, weakest first: a receiver, a genie-aided reference, a bound
ROLES = ("practical", "reference", "bound")


@dataclass
class SideInfo:
    """Per-sample true channel parameters; only references and bounds may read them.

    Attributes:
        model: [B] int64 index into ``GridContext.profiles``.
        delay_spread: [B] float32 [s].
        doppler: [B] float32 [Hz].
        paths: each grid's propagation paths, where the data stores them, else None.
    """

    model: torch.Tensor
    delay_spread: torch.Tensor
    doppler: torch.Tensor
    paths: Paths | None = None

    def __getitem__(self, idx) -> SideInfo:
        return SideInfo(self.model[idx], self.delay_spread[idx], self.doppler[idx],
                        None if self.paths is None else self.paths[idx])


@dataclass
class Observation:
    """What a receiver sees.

    Attributes:
        y: [B, L, P] complex64 received pilots (y = h_p·x_p + n).
        no: [B] float32 noise variance (known to the receiver).
        side: true per-sample parameters, for bounds only.
    """

    y: torch.Tensor
    no: torch.Tensor
    side: SideInfo | None = field(default=None, repr=False)


@dataclass
class Estimate:
    """Estimator output.

    Attributes:
        h_hat: [B, L, S, F] complex64 channel estimate.
        err_var: [B, L, S, F] float32 estimated per-RE error variance E|h − ĥ|².
    """

    h_hat: torch.Tensor
    err_var: torch.Tensor


def observe(batch: Batch) -> Observation:
    """The :class:`Observation` of a simulated/recorded batch (side info attached)."""
    return Observation(y=batch.y, no=batch.no,
                       side=SideInfo(batch.model, batch.delay_spread, batch.doppler,
                                     batch.paths))


class Estimator(ABC):
    """Base class: subclasses implement :meth:`estimate` and optionally :meth:`fit`."""

    #: registry name, set by the registry
    name: str = ""
    #: one of :data:`ROLES`, set by the registry from the catalog entry
    role: str = "practical"
    #: working-memory budget of one :meth:`estimate` call [bytes]; :func:`estimate_bounded`
    #: sets it, and an estimator that can split one grid's work (over antennas or REs)
    #: keeps each part under it
    memory_bytes: float = 4.0 * 2**30

    def __init__(self, ctx: GridContext, device: str = "cpu"):
        self.ctx = ctx
        self.device = device

    @property
    def is_bound(self) -> bool:
        """Whether this instance is a bound (what results tables record as ``is_bound``)."""
        return self.role == "bound"

    def fit(self, dataset) -> Estimator:  # optional hook
        """Learn statistics/weights from a training dataset (default: nothing to learn)."""
        return self

    @abstractmethod
    def estimate(self, obs: Observation) -> Estimate:
        """Estimate the full grid from pilot observations."""

    def bytes_per_grid(self) -> int:
        """Working memory of :meth:`estimate` per grid and link (an upper estimate, bytes);
        :func:`estimate_bounded` splits batches by it. Default: 32 complex64 grids."""
        return 32 * 8 * self.ctx.mask.size


def _slice(obs: Observation, lo: int, hi: int) -> Observation:
    side = None if obs.side is None else obs.side[lo:hi]
    return Observation(obs.y[lo:hi], obs.no[lo:hi], side)


def estimate_bounded(est: Estimator, obs: Observation, budget_bytes: float) -> Estimate:
    """``est.estimate(obs)`` in sub-batches whose working memory stays under the budget
    (at least one grid at a time; ``est.memory_bytes`` tells the estimator the budget for
    what one grid needs). Shapes as :meth:`Estimator.estimate`."""
    B, L = obs.y.shape[:2]
    est.memory_bytes = budget_bytes
    per = max(1, int(budget_bytes // max(1, est.bytes_per_grid() * L)))
    if per >= B:
        return est.estimate(obs)
    parts = [est.estimate(_slice(obs, lo, lo + per)) for lo in range(0, B, per)]
    return Estimate(torch.cat([p.h_hat for p in parts]), torch.cat([p.err_var for p in parts]))
