"""One user of a multi-user dataset, read as a single-user dataset.

A multi-user dataset (scenario with ``users:``, :mod:`chanest.grid.users`) stores every
user's channel (``h`` [n, U·A, S, F], user-major) and the pilots the receiver sees at
the union of the users' pilot REs (``y`` [n, A, Q]). :class:`UserView` presents user
``u`` as the dataset protocol every estimator, trainer and evaluation reads:

* ``h`` [n, A, S, F] that user's channel to the A receive antennas,
* ``y`` [n, A, P_u] its LS values after despreading (unit pilots at ``mask``),
* ``no`` [n] the noise variance of those LS values (``no·noise_gain``); ``snr_db``
  stays the grid's SNR (per user and antenna, before despreading).

Everything else (scenario, profiles, per-sample parameters, files) is the dataset's.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from chanest.data.batch import Batch
from chanest.data.context import GridContext
from chanest.grid.despread import Despreader
from chanest.schema import ConfigError

__all__ = ["UserView", "user_view"]


class UserView:
    """User ``user`` of an open multi-user :class:`~chanest.data.dataset.ChannelDataset`."""

    def __init__(self, dataset, user: int):
        self.base, self.user = dataset, user
        part = dataset.users.users[user]
        self.mask = part.mask  # [S, F]
        self.pilots = np.ones(int(part.mask.sum()), dtype=np.complex64)  # [P_u]
        self.users = None
        self._part = part
        self._despread: dict = {}
        self._antennas = dataset.scenario.channel.num_rx_antennas

    def __getattr__(self, name):  # scenario, labels, profiles, paths, column, attrs, …
        return getattr(self.base, name)

    def __len__(self) -> int:
        return len(self.base)

    def __enter__(self) -> UserView:
        return self

    def __exit__(self, *exc) -> None:
        self.base.close()

    @property
    def fingerprint(self) -> str:
        return f"{self.base.fingerprint}:user{self.user}"

    def view(self, batch: Batch) -> Batch:
        """This user's :class:`Batch` from a multi-user one (shapes in the module doc)."""
        A, u, dev = self._antennas, self.user, batch.y.device
        if dev not in self._despread:  # built once per device, not per batch
            self._despread[dev] = Despreader.of(self._part, dev)
        y, no = self._despread[dev](batch.y, batch.no)
        return Batch(h=batch.h[:, u * A:(u + 1) * A].contiguous(),  # frees the other users
                     y=y, no=no, snr_db=batch.snr_db, model=batch.model,
                     delay_spread=batch.delay_spread, doppler=batch.doppler, speed=batch.speed)

    def read(self, start: int = 0, stop: int | None = None) -> Batch:
        return self.view(self.base.read(start, stop))

    def take(self, indices) -> Batch:
        return self.view(self.base.take(indices))

    def iter_batches(self, batch_size: int, device: str = "cpu", start: int = 0,
                     stop: int | None = None) -> Iterator[Batch]:
        for batch in self.base.iter_batches(batch_size, device, start, stop):
            yield self.view(batch)

    def context(self) -> GridContext:
        return self.base.context().for_user(self.user)


def user_view(dataset, user: int | None, arg: str = "user"):
    """``dataset`` itself (single-user data, ``user`` None or 0) or user ``user``'s view;
    ConfigError naming ``arg`` when the choice does not fit the data."""
    count = dataset.scenario.num_users
    users = getattr(dataset, "users", None)
    if users is None:
        if user not in (None, 0):
            raise ConfigError(f"the data holds one transmitter; got user {user}", arg=arg)
        return dataset
    if user is None:
        raise ConfigError(f"the data holds {count} users; pick one of 0–{count - 1}", arg=arg)
    if not 0 <= user < count:
        raise ConfigError(f"must be one of 0–{count - 1}, got {user}", arg=arg)
    return UserView(dataset, user)
