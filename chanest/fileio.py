"""Atomic file writes: a temporary file beside the target, synced, renamed over it.

Every file chanest writes goes through :func:`atomic_write`, so a reader (or the
next run) sees either the previous file (or none) or the complete new one, never a
partial file, whatever stops the writer: an exception, Ctrl-C, a kill or a power
loss. The temporary file is removed on any failure that lets Python run (after a
hard kill or a power loss a hidden ``.NAME.*.tmp`` may remain beside the target; it is
never read).

Usage::

    with atomic_write(path) as f:               # text ("w"), or binary with "wb"
        f.write(text)
    with atomic_write(path, "path") as tmp:     # libraries that write by file name
        fig.savefig(tmp, format="pdf")
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

__all__ = ["MODES", "atomic_write"]

#: "w": an open text file; "wb": an open binary file; "path": the temporary file's name
MODES = ("w", "wb", "path")


def _temporary_name(path: Path) -> Path:
    """A new hidden name in ``path``'s folder, created empty (exclusively, so two writers
    never share it; with the usual permissions)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    open(tmp, "xb").close()
    return tmp


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_write(path: str | Path, mode: str = "w", newline: str | None = None
                 ) -> Iterator[IO[Any] | Path]:
    """Write ``path`` through a temporary file in its folder (module docstring).

    ``mode``: one of :data:`MODES`; ``newline`` as for :func:`open` (text mode). On
    leaving the block the temporary file is flushed and fsynced, renamed over ``path``
    and the folder fsynced; if the block (or the commit) fails in any way, including
    KeyboardInterrupt, the temporary file is removed and ``path`` is left as it was.
    The folder must exist.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    path = Path(path)
    tmp = _temporary_name(path)
    try:
        if mode == "path":
            yield tmp
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        else:
            with open(tmp, mode, newline=newline) as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
