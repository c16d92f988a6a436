"""Several single-antenna users sending pilots at once: the uplink pilot layout.

A scenario's ``users:`` section puts U users on the grid. The base pilot pattern
(``pilots:``) is one *RE set*; RE set g is the base pattern moved by g·``shift``
(symbols, subcarriers), so ``shift: {symbols: 0, subcarriers: 1}`` on a comb-2
pattern gives NR's two DM-RS CDM groups (frequency division), ``{symbols: 1,
subcarriers: 0}`` time division. ``cover: {frequency: Kf, time: Kt}`` lets K = Kf·Kt
users share each RE set with orthogonal cover codes over tiles of Kf adjacent pilot
REs × Kt adjacent pilot symbols (code division, as NR DM-RS FD-OCC/TD-OCC). Users
``g·K … g·K+K−1`` are on RE set g; user u sends the base pilot symbols times its cover
code (:func:`chanest.grid.despread.cover_codes`, row u mod K, over the tile's REs in
time-major order).

Each user has its own channel to every receive antenna; the receiver sees
``y = Σ_u h_u·x_u + n`` at the union of all pilot REs. Each user's estimation problem
after despreading is single-user: unit pilots at that user's (virtual) positions, with
noise variance ``no·noise_gain`` (:mod:`chanest.grid.despread`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import Field, model_validator

from chanest.grid.despread import Despread, cover_codes, despread, tiles_of
from chanest.schema import ConfigError, Strict

__all__ = ["CoverConfig", "ShiftConfig", "UsersConfig", "UserLayout", "user_layout",
           "scenario_users"]


class CoverConfig(Strict):
    """Orthogonal cover code lengths: users per RE set = ``frequency · time``."""

    frequency: int = Field(default=1, ge=1, le=16)
    time: int = Field(default=1, ge=1, le=4)


class ShiftConfig(Strict):
    """Offset of RE set g+1 from RE set g."""

    symbols: int = Field(default=0, ge=0, le=13)
    subcarriers: int = Field(default=1, ge=0, le=4096)


class UsersConfig(Strict):
    """U single-antenna users with orthogonal pilots (module docstring)."""

    count: int = Field(ge=2, le=64, description="users (leave users: out for one "
                       "transmitter)")
    cover: CoverConfig = Field(default_factory=CoverConfig)
    shift: ShiftConfig = Field(default_factory=ShiftConfig)

    @property
    def per_set(self) -> int:
        """K: users sharing one RE set."""
        return self.cover.frequency * self.cover.time

    @model_validator(mode="after")
    def _whole_sets(self) -> UsersConfig:
        if self.count % self.per_set:
            raise ValueError(f"count ({self.count}) must be a multiple of cover.frequency × "
                             f"cover.time ({self.per_set})")
        return self


@dataclass(frozen=True)
class UserLayout:
    """The pilot layout of U users on an [S, F] grid.

    Attributes:
        mask: [S, F] bool union of every user's pilot REs (Q of them).
        pilots: [U, Q] complex64 each user's pilot symbols at those REs (0 where silent).
        users: per user, a :class:`~chanest.grid.despread.Despread` whose ``src`` [P_u, K]
            indexes the Q union REs (not the grid).
    """

    mask: np.ndarray
    pilots: np.ndarray
    users: tuple[Despread, ...]

    @property
    def count(self) -> int:
        return len(self.users)


def _moved(mask: np.ndarray, by: tuple[int, int], g: int) -> np.ndarray:
    """The base mask [S, F] moved by ``by`` (symbols, subcarriers); ConfigError off-grid."""
    S, F = mask.shape
    rows, cols = np.nonzero(mask)
    rows, cols = rows + by[0], cols + by[1]
    if rows.max() >= S or cols.max() >= F:
        raise ConfigError(f"RE set {g} moves pilots off the {S}×{F} grid "
                          f"(shifted by {by[0]} symbols, {by[1]} subcarriers; the "
                          f"pilots span symbols {rows.min() - by[0]}–{rows.max() - by[0]}"
                          f", subcarriers {cols.min() - by[1]}–{cols.max() - by[1]})",
                          arg="users.shift")
    out = np.zeros_like(mask)
    out[rows, cols] = True
    return out


def user_layout(cfg: UsersConfig, mask: np.ndarray, pilots: np.ndarray) -> UserLayout:
    """The :class:`UserLayout` of ``cfg`` on the base pilot ``mask`` [S, F] with base
    symbols ``pilots`` [P] (ConfigError naming ``users.*`` for layouts that do not fit)."""
    S, F = mask.shape
    K, kf, kt = cfg.per_set, cfg.cover.frequency, cfg.cover.time
    codes = cover_codes(K)
    sets, values = [], []  # per RE set: flat indices [P]; per user: values [P]
    taken = np.zeros(S * F, dtype=bool)
    for g in range(cfg.count // K):
        flat = np.flatnonzero(_moved(mask, (g * cfg.shift.symbols, g * cfg.shift.subcarriers), g))
        if taken[flat].any():
            raise ConfigError(f"RE set {g} overlaps an earlier one; use a "
                              "shift that moves the pattern onto free REs", arg="users.shift")
        taken[flat] = True
        sets.append(flat)
        tile = _tile_index(flat, F, kf, kt)  # [P] position of each RE in its tile
        values += [pilots * codes[c][tile] for c in range(K)]
    union = np.flatnonzero(taken)  # [Q]
    X = np.zeros((cfg.count, len(union)), dtype=np.complex64)
    users = []
    for g, flat in enumerate(sets):
        at = np.searchsorted(union, flat)
        group = values[g * K:(g + 1) * K]
        for c, part in enumerate(despread(flat, group, S, F, what="users.cover", tiles=(kf, kt))):
            X[g * K + c, at] = group[c]
            users.append(Despread(part.mask, np.searchsorted(union, part.src), part.weights,
                                  part.noise_gain))
    return UserLayout(taken.reshape(S, F), X, tuple(users))


def scenario_users(scenario) -> UserLayout | None:
    """The :class:`UserLayout` of a :class:`~chanest.data.scenario.Scenario` (None without a
    ``users:`` section)."""
    if scenario.users is None:
        return None
    from chanest.grid.ofdm import pilot_indices, pilot_values
    from chanest.grid.pilots import pilot_mask

    mask = pilot_mask(scenario.pilots, scenario.grid)
    pilots = pilot_values(scenario.pilots.values, len(pilot_indices(mask)),
                          scenario.pilots.sequence_seed)
    return user_layout(scenario.users, mask, pilots)


def _tile_index(flat: np.ndarray, F: int, kf: int, kt: int) -> np.ndarray:
    """[P] index of each RE (of the sorted set ``flat``) within its kf × kt tile."""
    pos = tiles_of(flat, F, kf, kt)
    if pos is None:
        symbols = sorted(set((flat // F).tolist()))
        raise ConfigError(f"the pilot pattern (pilot symbols {symbols}) "
                          f"does not split into tiles of {kf} adjacent pilot REs × {kt} "
                          "adjacent pilot symbols at the same subcarriers", arg="users.cover")
    index = np.empty(len(flat), dtype=int)
    index[pos] = np.arange(pos.shape[1])[None, :]
    return index

