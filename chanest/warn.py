"""Warnings for inputs an estimator or a command can serve only under an assumption.

``warn(message)`` raises a :class:`ChanestWarning` (a ``UserWarning``); the CLI shows
each distinct message once, as one line ``Warning: ...`` on stderr, and library users
see them through Python's ``warnings`` machinery (turn them into errors with
``warnings.simplefilter("error", ChanestWarning)``).
"""

from __future__ import annotations

import warnings

__all__ = ["ChanestWarning", "warn"]


class ChanestWarning(UserWarning):
    """An input that breaks an assumption of the estimator or command using it."""


def warn(message: str) -> None:
    warnings.warn(message, ChanestWarning, stacklevel=3)
