"""The table of built-in estimators: names, factories, descriptions, and building one.

:data:`REGISTRY` maps each plain name to its class, fixed options and a one-line
description; :func:`build_registered` builds one, checking its options.
:mod:`chanest.estimators.registry` adds the ``PREFIX:ARG`` names (trained networks)
on top; this module imports no network code, so the neural front end can build its
classical base from here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from chanest.estimators.adaptive import AdaptiveLMMSEEstimator
from chanest.estimators.base import Estimator, GridContext
from chanest.estimators.dft import DFTEstimator
from chanest.estimators.lmmse import GenieLMMSEEstimator, LMMSEEstimator, RobustLMMSEEstimator
from chanest.estimators.ls import InterpolationEstimator
from chanest.estimators.options import check_options, construction_errors
from chanest.estimators.separable import SeparableLMMSEEstimator
from chanest.estimators.sionna_lmmse import SionnaLMMSEEstimator
from chanest.schema import ConfigError

__all__ = ["Entry", "REGISTRY", "PREFIX_FORMS", "unknown_name", "build_registered"]


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


#: how each ``PREFIX:ARG`` name is written in help and error messages
PREFIX_FORMS: dict[str, str] = {"ckpt": "ckpt:PATH", "pretrained": "pretrained:NAME"}


def unknown_name(name: str) -> ConfigError:
    """The error for an estimator name that is neither registered nor a known prefix."""
    known = ", ".join([*REGISTRY, *PREFIX_FORMS.values()])
    return ConfigError(f"unknown estimator {name!r}; known: {known}", arg="names")


def build_registered(name: str, ctx: GridContext, device: str = "cpu", **opts) -> Estimator:
    """Build a registered (plain) estimator by name (``ConfigError`` for unknown names,
    unknown options and bad option values: one line naming the estimator)."""
    if name not in REGISTRY:
        raise unknown_name(name)
    entry = REGISTRY[name]
    params = inspect.signature(entry.factory).parameters
    fixed = dict(entry.defaults)
    allowed = [p for p in params if p not in ("self", "ctx", "device") and p not in fixed]
    bad = [k for k in opts if k not in allowed]
    if bad:
        raise ConfigError(f"estimator {name}: unknown option {bad[0]!r}; allowed: "
                          f"{', '.join(allowed) or 'none'}")
    check_options(name, entry.factory, opts)
    with construction_errors(name):
        est = entry.factory(ctx, device, **fixed, **opts)
    est.name = name
    return est
