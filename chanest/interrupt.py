"""Ctrl-C that cannot be lost.

Python turns SIGINT into ``KeyboardInterrupt`` at whatever line runs next. When that line
is a weak-reference callback or a finalizer (h5py closes its objects through both), the
interpreter prints "Exception ignored" and goes on, so a long command would run to the end
as if the key had never been pressed. :func:`ctrl_c` records every SIGINT as well,
:meth:`Interrupt.check` re-raises it at a point the caller chooses (between chunks), and
the dropped one is not printed as an "Exception ignored" traceback.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Interrupt", "ctrl_c"]


class Interrupt:
    """Whether SIGINT arrived inside a :func:`ctrl_c` block."""

    def __init__(self) -> None:
        self.hit = False
        self._previous_hook = sys.unraisablehook

    def _handler(self, signum: int, frame: object) -> None:
        self.hit = True
        raise KeyboardInterrupt

    def _unraisable(self, info) -> None:
        """sys.unraisablehook: a KeyboardInterrupt we recorded stays quiet (check() raises
        it again); anything else goes to the previous hook."""
        if not (self.hit and isinstance(info.exc_value, KeyboardInterrupt)):
            self._previous_hook(info)

    def check(self) -> None:
        """Raise ``KeyboardInterrupt`` if SIGINT arrived (even if it was swallowed)."""
        if self.hit:
            raise KeyboardInterrupt


@contextmanager
def ctrl_c() -> Iterator[Interrupt]:
    """Record SIGINT for the block; a process that ignores SIGINT (``nohup``) keeps ignoring it.

    Outside the main thread (where handlers cannot be installed) it records nothing.
    """
    state = Interrupt()
    try:
        previous = signal.getsignal(signal.SIGINT)
    except ValueError:
        previous = None
    if previous is not signal.default_int_handler:
        yield state
        return
    try:
        signal.signal(signal.SIGINT, state._handler)
    except ValueError:  # not the main thread
        yield state
        return
    state._previous_hook, sys.unraisablehook = sys.unraisablehook, state._unraisable
    try:
        yield state
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = state._previous_hook
