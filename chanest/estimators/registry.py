"""The estimator registry: an explicit table of names, factories and descriptions.

``build_estimator("lmmse", ctx, device)`` builds one; unknown names raise
:class:`~chanest.config.ConfigError` listing the known ones. Names of the form
``PREFIX:ARG`` are routed to a prefix hook (``ckpt:PATH``: a trained network, see
:mod:`chanest.estimators.checkpointed`). Contract tests loop over :data:`REGISTRY`.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

from chanest.config import ConfigError
from chanest.estimators.adaptive import AdaptiveLMMSEEstimator
from chanest.estimators.base import Estimator, GridContext
from chanest.estimators.dft import DFTEstimator
from chanest.estimators.lmmse import GenieLMMSEEstimator, LMMSEEstimator, RobustLMMSEEstimator
from chanest.estimators.ls import InterpolationEstimator
from chanest.estimators.separable import SeparableLMMSEEstimator
from chanest.estimators.sionna_lmmse import SionnaLMMSEEstimator

__all__ = ["Entry", "REGISTRY", "PREFIX_HOOKS", "build_estimator", "available_estimators",
           "describe", "parse_estimator_names"]


@dataclass(frozen=True)
class Entry:
    """A registered estimator: factory(ctx, device, **opts) and a one-line description."""

    factory: Callable[..., Estimator]
    description: str
    defaults: tuple[tuple[str, object], ...] = ()


def _entry(cls, description: str, **defaults) -> Entry:
    return Entry(cls, description, tuple(defaults.items()))


REGISTRY: dict[str, Entry] = {
    "ls-nearest": _entry(InterpolationEstimator, "LS at pilots, nearest-pilot interpolation",
                         method="nearest"),
    "ls-linear": _entry(InterpolationEstimator, "LS at pilots, 2-D linear (Delaunay) "
                        "interpolation", method="linear"),
    "ls-cubic": _entry(InterpolationEstimator, "LS at pilots, 2-D cubic (Clough-Tocher) "
                       "interpolation", method="cubic"),
    "ls-rbf": _entry(InterpolationEstimator, "LS at pilots, Gaussian RBF interpolation "
                     "(ChannelNet's input)", method="rbf"),
    "dft": _entry(DFTEstimator, "DFT/delay-domain truncation per pilot symbol + linear time "
                  "interpolation"),
    "lmmse": _entry(LMMSEEstimator, "joint 2-D LMMSE, nominal statistics averaged over the "
                    "scenario (or fitted with --fit-data)"),
    "lmmse-robust": _entry(RobustLMMSEEstimator, "joint 2-D robust LMMSE: uniform PDP to the "
                           "CP length, flat Doppler to the max Doppler"),
    "lmmse-adaptive": _entry(AdaptiveLMMSEEstimator, "per-grid LMMSE: bank of delay-spread x "
                             "Doppler priors weighted by the pilot likelihood (no scenario "
                             "statistics)"),
    "lmmse-separable": _entry(SeparableLMMSEEstimator, "separable LMMSE, frequency then time, "
                              "precomputed filters", order="f-t"),
    "lmmse-separable-tf": _entry(SeparableLMMSEEstimator, "separable LMMSE, time then "
                                 "frequency, precomputed filters", order="t-f"),
    "lmmse-sionna": _entry(SionnaLMMSEEstimator, "Sionna's LMMSEChannelEstimator (f-t), same "
                           "statistics as lmmse-separable"),
    "genie-lmmse": _entry(GenieLMMSEEstimator, "BOUND: LMMSE with each sample's true "
                          "covariance (MMSE for Rayleigh taps)"),
}


def _checkpoint_hook(arg: str, ctx: GridContext, device: str, **opts) -> Estimator:
    """``ckpt:STEM`` (or a glob of per-SNR checkpoints): a trained network."""
    from chanest.estimators.checkpointed import load_checkpoint_estimator  # torch models

    if opts:
        raise ConfigError(f"estimator ckpt:{arg}: takes no options, got {sorted(opts)}")
    return load_checkpoint_estimator(arg, ctx, device)


def _pretrained_hook(arg: str, ctx: GridContext, device: str, **opts) -> Estimator:
    """``pretrained:NAME``: a model shipped in the package (:mod:`chanest.pretrained`)."""
    from chanest.estimators.checkpointed import load_neural_estimator
    from chanest.pretrained import stem

    if opts:
        raise ConfigError(f"estimator pretrained:{arg}: takes no options, got {sorted(opts)}")
    return load_neural_estimator(str(stem(arg)), ctx, device, label=f"pretrained:{arg}")


#: name prefixes handled by hooks: ``PREFIX:ARG`` → hook(ARG, ctx, device, **opts)
PREFIX_HOOKS: dict[str, Callable[..., Estimator]] = {"ckpt": _checkpoint_hook,
                                                      "pretrained": _pretrained_hook}
PREFIX_DESCRIPTIONS: dict[str, str] = {
    "ckpt": "trained network from checkpoint PATH (a glob selects a per-SNR family)",
    "pretrained": "a model shipped with chanest (python cli.py info lists them)"}
#: how each prefix is written in help and error messages
PREFIX_FORMS: dict[str, str] = {"ckpt": "ckpt:PATH", "pretrained": "pretrained:NAME"}


def available_estimators() -> dict[str, str]:
    """{name: one-line description} of every registered estimator."""
    return {name: entry.description for name, entry in REGISTRY.items()}


def describe(name: str) -> str:
    """One-line description of a registered name or a ``PREFIX:ARG`` name ('' if unknown)."""
    if name in REGISTRY:
        return REGISTRY[name].description
    return PREFIX_DESCRIPTIONS.get(name.partition(":")[0], "") if ":" in name else ""


def _unknown(name: str) -> ConfigError:
    known = ", ".join([*REGISTRY, *PREFIX_FORMS.values()])
    return ConfigError(f"--estimators: unknown estimator {name!r}; known: {known}")


def build_estimator(name: str, ctx: GridContext, device: str = "cpu", **opts) -> Estimator:
    """Build a registered estimator by name (``ConfigError`` for unknown names/options)."""
    prefix, sep, arg = name.partition(":")
    if sep:
        if prefix not in PREFIX_HOOKS:
            raise _unknown(name)
        return PREFIX_HOOKS[prefix](arg, ctx, device, **opts)
    if name not in REGISTRY:
        raise _unknown(name)
    entry = REGISTRY[name]
    params = inspect.signature(entry.factory).parameters
    fixed = dict(entry.defaults)
    allowed = [p for p in params if p not in ("self", "ctx", "device") and p not in fixed]
    bad = [k for k in opts if k not in allowed]
    if bad:
        raise ConfigError(f"estimator {name}: unknown option {bad[0]!r}; allowed: "
                          f"{', '.join(allowed) or 'none'}")
    est = entry.factory(ctx, device, **fixed, **opts)
    est.name = name
    return est


def parse_estimator_names(text: str) -> list[str]:
    """Split ``a,b,c`` (``all`` = every registered name); checks names, keeps order."""
    names: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        for name in (REGISTRY if part == "all" else [part]):
            if ":" not in name and name not in REGISTRY:
                raise _unknown(name)
            if ":" in name and name.partition(":")[0] not in PREFIX_HOOKS:
                raise _unknown(name)
            if name not in names:
                names.append(name)
    if not names:
        raise ConfigError("--estimators: give at least one name, e.g. ls-linear,lmmse")
    return names
