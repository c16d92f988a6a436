"""Any estimator on a multi-user grid: one single-user estimator per user.

On a context with users (:mod:`chanest.grid.users`) the observation is what the receiver
sees at the union of the users' pilot REs, ``y`` [B, A, Q]. :class:`PerUserEstimator`
despreads it into each user's LS values (:mod:`chanest.grid.despread`), runs that user's
estimator on them (built from :meth:`GridContext.for_user`, so every registered
estimator, bound or network works unchanged) and returns every user's channel,
user-major on the link axis::

    estimate(obs: y [B, A, Q], no [B]) -> h_hat, err_var [B, U·A, S, F]

``name`` is one estimator for every user, or ``"a|b|…"`` one per user (e.g. a network
trained for each user's pilot layout, :mod:`chanest.data.userview`). Users whose layout
and name are the same share one instance. Where users share REs through cover codes
over tiles of several REs, despreading assumes the channel constant over a tile, so a
genie-aided estimator is then a reference, not a bound (its ``role``).
"""

from __future__ import annotations

import torch

from chanest.estimators.base import ROLES, Estimate, Estimator, GridContext, Observation
from chanest.grid.despread import Despreader
from chanest.schema import ConfigError

__all__ = ["PerUserEstimator", "per_user_names"]


def per_user_names(name: str, count: int) -> list[str]:
    """``name`` for each of ``count`` users, or its ``|``-separated parts (one per user)."""
    parts = [p.strip() for p in name.split("|")]
    if len(parts) == 1:
        return parts * count
    if len(parts) != count:
        raise ConfigError(f"{name!r} gives {len(parts)} estimators for "
                          f"{count} users; give one, or one per user separated by |", arg="names")
    return parts


class PerUserEstimator(Estimator):
    """Per-user estimators on a multi-user context (module docstring)."""

    def __init__(self, name: str, ctx: GridContext, device: str, build, **opts):
        super().__init__(ctx, device)
        users = ctx.users
        built: dict[tuple, Estimator] = {}
        self.parts: list[Estimator] = []
        for u, part_name in enumerate(per_user_names(name, users.count)):
            key = (users.users[u].mask.tobytes(), part_name)
            if key not in built:
                built[key] = build(part_name, ctx.for_user(u), device, **opts)
            self.parts.append(built[key])
        # despread values over tiles of several REs assume the channel constant over a
        # tile; a genie-aided estimator built on that is then a reference, not a bound
        exact = all(u.src.shape[1] == 1 for u in users.users)
        role = max((p.role for p in self.parts), key=ROLES.index)
        self.role = "reference" if role == "bound" and not exact else role
        self._despread = [Despreader.of(u, device) for u in users.users]

    def user_observation(self, obs: Observation, u: int) -> Observation:
        """User ``u``'s LS values [B, A, P_u] and their noise variance [B]."""
        return Observation(*self._despread[u](obs.y, obs.no), obs.side)

    def fit(self, dataset) -> PerUserEstimator:
        """Fit each user's estimator on that user's view of a multi-user ``dataset``."""
        if getattr(dataset, "users", None) is None:
            raise ConfigError("the test data holds several users; the "
                              "training data must hold the same users", arg="fit_dataset")
        done = set()
        for u, est in enumerate(self.parts):
            if id(est) not in done:
                est.fit(dataset.user_view(u))
                done.add(id(est))
        return self

    def estimate(self, obs: Observation) -> Estimate:
        outs = [est.estimate(self.user_observation(obs, u)) for u, est in enumerate(self.parts)]
        return Estimate(torch.cat([o.h_hat for o in outs], 1),  # [B, U·A, S, F]
                        torch.cat([o.err_var for o in outs], 1))

    def bytes_per_grid(self) -> int:
        return max(p.bytes_per_grid() for p in self.parts) + 16 * len(self.parts) * \
            self.ctx.mask.size

    def provenance(self) -> dict:
        return {"users": [{"user": u, "estimator": p.name or type(p).__name__,
                           **(p.provenance() if hasattr(p, "provenance") else {})}
                          for u, p in enumerate(self.parts)]}
