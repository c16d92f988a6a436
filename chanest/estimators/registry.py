"""The estimator registry: the table of names (:mod:`.catalog`) plus prefix names.

``build_estimator("lmmse", ctx, device)`` builds one; unknown names raise
:class:`~chanest.schema.ConfigError` listing the known ones. Names of the form
``PREFIX:ARG`` (:func:`parse_name`) are routed to a prefix hook (``ckpt:PATH``: a
trained network, see :mod:`chanest.estimators.checkpointed`). Contract tests loop over
:data:`REGISTRY`.
"""

from __future__ import annotations

from collections.abc import Callable

from chanest.estimators.base import Estimator, GridContext
from chanest.estimators.catalog import (  # re-exported: the table's names live here too
    PREFIX_FORMS,
    REGISTRY,
    Entry,
    build_registered,
    parse_name,
    role_of,
)
from chanest.estimators.checkpointed import load_checkpoint_estimator, load_neural_estimator
from chanest.estimators.options import construction_errors
from chanest.schema import ConfigError

__all__ = ["Entry", "REGISTRY", "PREFIX_HOOKS", "PREFIX_FORMS", "build_estimator",
           "available_estimators", "describe", "parse_estimator_names", "parse_name", "role_of"]


def _checkpoint_hook(arg: str, ctx: GridContext, device: str, **opts) -> Estimator:
    """``ckpt:STEM`` (or a glob of per-SNR checkpoints): a trained network."""
    if opts:
        raise ConfigError(f"estimator ckpt:{arg}: takes no options, got {sorted(opts)}")
    return load_checkpoint_estimator(arg, ctx, device)


def _pretrained_hook(arg: str, ctx: GridContext, device: str, **opts) -> Estimator:
    """``pretrained:NAME``: a model shipped in the package (:mod:`chanest.pretrained`)."""
    from chanest.pretrained import stem

    if opts:
        raise ConfigError(f"estimator pretrained:{arg}: takes no options, got {sorted(opts)}")
    return load_neural_estimator(str(stem(arg)), ctx, device, label=f"pretrained:{arg}")


#: the hook of each prefix of :data:`PREFIX_FORMS`: ``PREFIX:ARG`` → hook(ARG, ctx, device,
#: **opts)
PREFIX_HOOKS: dict[str, Callable[..., Estimator]] = {"ckpt": _checkpoint_hook,
                                                      "pretrained": _pretrained_hook}
PREFIX_DESCRIPTIONS: dict[str, str] = {
    "ckpt": "trained network from checkpoint PATH (a glob selects a per-SNR family)",
    "pretrained": "a model shipped with chanest (python cli.py info lists them)"}


def available_estimators() -> dict[str, str]:
    """{name: one-line description} of every registered estimator."""
    return {name: entry.description for name, entry in REGISTRY.items()}


def describe(name: str) -> str:
    """One-line description of a registered name or a ``PREFIX:ARG`` name ('' if unknown)."""
    if name in REGISTRY:
        return REGISTRY[name].description
    try:
        return PREFIX_DESCRIPTIONS.get(parse_name(name).kind, "")
    except ConfigError:
        return ""


def build_estimator(name: str, ctx: GridContext, device: str = "cpu", **opts) -> Estimator:
    """Build a registered estimator by name; ConfigError (one line naming the estimator)
    for unknown names and options, bad option values and failed construction.

    On a multi-user context (``ctx.users``) it is a
    :class:`~chanest.estimators.peruser.PerUserEstimator` of ``name`` per user
    (``"a|b"``: one name per user)."""
    if ctx.users is not None:
        from chanest.estimators.peruser import PerUserEstimator

        est = PerUserEstimator(name, ctx, device, build_estimator, **opts)
        est.name = name
        return est
    if "|" in name:
        raise ConfigError(f"{name!r}: one estimator per user (a|b) needs data "
                          "with several users (for one user of them, give one name)", arg="names")
    kind, arg = parse_name(name)
    if kind:
        with construction_errors(name):
            return PREFIX_HOOKS[kind](arg, ctx, device, **opts)
    return build_registered(name, ctx, device, **opts)


def parse_estimator_names(text: str) -> list[str]:
    """Split ``a,b,c`` (``all`` = every registered name; ``a|b`` one name per user of
    multi-user data); checks names, keeps order."""
    names: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        for name in (REGISTRY if part == "all" else [part]):
            for each in name.split("|"):  # a|b: one estimator per user
                role_of(each.strip())  # checks the name
            if name not in names:
                names.append(name)
    if not names:
        raise ConfigError("give at least one name, e.g. ls-linear,lmmse", arg="names")
    return names
