"""Estimator options checked against their factory's annotations, and construction errors.

Options arrive from YAML, JSON (a checkpoint's ``base_options``) or Python; every
value is checked against the type its estimator declares (``float``, ``int``, ``str``,
``tuple[...]`` as a list, ``X | None``) before the estimator is built, so a wrong type
is one line naming the estimator and the option. :func:`construction_errors` turns
whatever ``TypeError``/``ValueError`` construction still raises into one line too.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from chanest.schema import ConfigError

__all__ = ["check_options", "construction_errors"]


def _is(value, hint) -> bool:
    """Whether ``value`` (from YAML/JSON/Python) fits the annotation ``hint``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_is(value, a) for a in args)
    if hint is type(None):
        return value is None
    if isinstance(value, (bool, np.bool_)):
        return hint is bool
    if hint is float:
        return isinstance(value, (int, float, np.integer, np.floating))
    if hint is int:
        return isinstance(value, (int, np.integer))
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_is(v, args[0]) for v in value)
        return len(value) == len(args) and all(_is(v, a) for v, a in zip(value, args))
    return isinstance(value, hint) if isinstance(hint, type) else True


def _describe(hint) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list of {_describe(args[0]).removeprefix('a ').removeprefix('an ')}s"
        return "[" + ", ".join(_describe(a).removeprefix("a ").removeprefix("an ")
                               for a in args) + "]"
    return {float: "a number", int: "an integer", str: "a string", bool: "true or false",
            type(None): "null"}.get(hint, getattr(hint, "__name__", str(hint)))


def check_options(name: str, factory: Callable, opts: dict) -> None:
    """ConfigError ``estimator NAME: option OPT must be ..., got VALUE`` for the first
    option whose value does not fit the annotation of ``factory``'s parameter."""
    hints = typing.get_type_hints(factory.__init__ if inspect.isclass(factory) else factory)
    for key, value in opts.items():
        if key in hints and not _is(value, hints[key]):
            raise ConfigError(f"estimator {name}: option {key} must be "
                              f"{_describe(hints[key])}, got {value!r}")


@contextmanager
def construction_errors(name: str) -> Iterator[None]:
    """A ``TypeError`` or ``ValueError`` while estimator ``name`` is built becomes the
    one line ``estimator NAME: ...`` (a ConfigError passes unchanged)."""
    try:
        yield
    except ConfigError:
        raise
    except (TypeError, ValueError) as err:
        raise ConfigError(f"estimator {name}: {err}".replace("\n", " ")) from None
