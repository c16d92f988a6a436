"""The table of built-in estimators: names, factories, roles, and building one.

:data:`REGISTRY` maps each plain name to an :class:`Entry`: its class, fixed options, a
one-line description, its role (:data:`~chanest.estimators.base.ROLES`) and whether it
needs the scenario's channel statistics. :func:`build_registered` builds one, checking
its options. Names of the form ``PREFIX:ARG`` (:data:`PREFIX_FORMS`, trained networks)
are split by :func:`parse_name` and built by :mod:`chanest.estimators.registry`;
:func:`role_of` answers for any name. This module imports no network code, so the neural
front end can build its classical base from here.

To add an estimator, write its class (an :class:`~chanest.estimators.base.Estimator`
taking ``(ctx, device, **options)``) and add an :class:`Entry` to :data:`REGISTRY`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from chanest.estimators.adaptive import AdaptiveLMMSEEstimator
from chanest.estimators.adaptive_array import AdaptiveArrayLMMSEEstimator
from chanest.estimators.base import ROLES, Estimator, GridContext
from chanest.estimators.dft import DFTEstimator
from chanest.estimators.full import FullLMMSEEstimator
from chanest.estimators.kron import KroneckerLMMSEEstimator
from chanest.estimators.lmmse import GenieLMMSEEstimator, LMMSEEstimator, RobustLMMSEEstimator
from chanest.estimators.ls import InterpolationEstimator
from chanest.estimators.options import check_options, construction_errors
from chanest.estimators.paths_ref import PathsReferenceEstimator
from chanest.estimators.separable import SeparableLMMSEEstimator
from chanest.estimators.sionna_lmmse import SionnaLMMSEEstimator
from chanest.estimators.sionna_ls import SionnaLSEstimator
from chanest.schema import ConfigError

__all__ = ["Entry", "REGISTRY", "PREFIX_FORMS", "ParsedName", "parse_name", "role_of",
           "unknown_name", "build_registered"]


@dataclass(frozen=True)
class Entry:
    """A registered estimator.

    Attributes:
        factory: ``factory(ctx, device, **defaults, **options) -> Estimator``.
        description: one line.
        role: one of :data:`~chanest.estimators.base.ROLES`; ``bound`` only where the
            estimator is one (an instance may still downgrade itself to ``reference``).
        needs_statistics: it cannot be built without the scenario's channel statistics
            (``GridContext.profiles``).
        needs_paths: it reads each grid's propagation paths (data with ``channel.paths``).
        needs_fit: it estimates nothing before :meth:`~Estimator.fit` (``--fit-data``).
        defaults: fixed options, as (name, value) pairs.
        spatial: it estimates the receive antennas of a grid jointly (uses the array),
            at least with some options (``lmmse-sionna``: orders with an ``s`` pass).
    """

    factory: Callable[..., Estimator]
    description: str
    role: str = "practical"
    needs_statistics: bool = False
    needs_paths: bool = False
    needs_fit: bool = False
    defaults: tuple[tuple[str, object], ...] = ()
    spatial: bool = False

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, got {self.role!r}")


def _entry(cls, description: str, role: str = "practical", needs_statistics: bool = False,
           needs_paths: bool = False, needs_fit: bool = False, spatial: bool = False,
           **defaults) -> Entry:
    return Entry(cls, description, role, needs_statistics, needs_paths, needs_fit,
                 tuple(defaults.items()), spatial)


REGISTRY: dict[str, Entry] = {
    "ls-nearest": _entry(InterpolationEstimator, "LS at pilots, nearest-pilot interpolation",
                         method="nearest"),
    "ls-linear": _entry(InterpolationEstimator, "LS at pilots, 2-D linear (Delaunay) "
                        "interpolation", method="linear"),
    "ls-cubic": _entry(InterpolationEstimator, "LS at pilots, 2-D cubic (Clough-Tocher) "
                       "interpolation", method="cubic"),
    "ls-rbf": _entry(InterpolationEstimator, "LS at pilots, Gaussian RBF interpolation "
                     "(ChannelNet's input)", method="rbf"),
    "ls-sionna": _entry(SionnaLSEstimator, "LS at pilots, Sionna's LinearInterpolator: linear in "
                        "frequency per pilot symbol, then in time, linearly extrapolated at "
                        "the edges (LSChannelEstimator 'lin'; time_avg: 'lin_time_avg')"),
    "ls-sionna-pusch": _entry(SionnaLSEstimator, "ls-sionna after averaging pairs of adjacent "
                              "pilots of a symbol (cdm_time=2: and of 2 symbols), as "
                              "PUSCHLSChannelEstimator 'lin', PUSCHReceiver's default",
                              cdm_freq=2),
    "dft": _entry(DFTEstimator, "DFT/delay-domain truncation per pilot symbol + linear time "
                  "interpolation"),
    "lmmse": _entry(LMMSEEstimator, "joint 2-D LMMSE, nominal statistics averaged over the "
                    "scenario (or fitted with --fit-data)", needs_statistics=True),
    "lmmse-robust": _entry(RobustLMMSEEstimator, "joint 2-D robust LMMSE: uniform PDP to the "
                           "CP length, flat Doppler to the max Doppler"),
    "lmmse-adaptive": _entry(AdaptiveLMMSEEstimator, "per-grid LMMSE: bank of delay-spread x "
                             "Doppler priors weighted by the pilot likelihood (no scenario "
                             "statistics)"),
    "lmmse-adaptive-array": _entry(AdaptiveArrayLMMSEEstimator, "lmmse-adaptive with each "
                                   "grid's own spatial covariance from its pilots (shrunk "
                                   "toward a scaled identity): all antennas at once, no "
                                   "scenario statistics",
                                   spatial=True),
    "lmmse-separable": _entry(SeparableLMMSEEstimator, "separable LMMSE, frequency then time, "
                              "precomputed filters", needs_statistics=True, order="f-t"),
    "lmmse-separable-tf": _entry(SeparableLMMSEEstimator, "separable LMMSE, time then "
                                 "frequency, precomputed filters", needs_statistics=True,
                                 order="t-f"),
    "lmmse-sionna": _entry(SionnaLMMSEEstimator, "Sionna's LMMSEChannelEstimator (f-t), same "
                           "statistics as lmmse-separable (order with an s pass: across "
                           "antennas too)", needs_statistics=True, spatial=True),
    "genie-lmmse": _entry(GenieLMMSEEstimator, "BOUND: LMMSE with each sample's true "
                          "covariance (MMSE for Rayleigh taps)", role="bound",
                          needs_statistics=True),
    "lmmse-kron": _entry(KroneckerLMMSEEstimator, "joint space-time-frequency LMMSE for "
                         "R_s x R_tf: all antennas at once (fitted with --fit-data; nominal: "
                         "t-f statistics, independent antennas)", needs_statistics=True,
                         spatial=True),
    "lmmse-full": _entry(FullLMMSEEstimator, "joint space-time-frequency LMMSE with a fitted "
                         "non-separable covariance shrunk toward R_s x R_tf (needs --fit-data)",
                         needs_fit=True, spatial=True),
    "genie-paths": _entry(PathsReferenceEstimator, "REFERENCE: LMMSE with each grid's own "
                          "propagation paths (needs channel.paths data; not a bound)",
                          role="reference", needs_paths=True, spatial=True),
}


#: how each ``PREFIX:ARG`` name is written in help and error messages
PREFIX_FORMS: dict[str, str] = {"ckpt": "ckpt:PATH", "pretrained": "pretrained:NAME"}


def unknown_name(name: str) -> ConfigError:
    """The error for an estimator name that is neither registered nor a known prefix."""
    known = ", ".join([*REGISTRY, *PREFIX_FORMS.values()])
    return ConfigError(f"unknown estimator {name!r}; known: {known}", arg="names")


class ParsedName(NamedTuple):
    """One estimator name, split: ``kind`` is ``""`` for a catalog name, else its prefix
    (a key of :data:`PREFIX_FORMS`); ``arg`` is the catalog name or what follows the
    prefix (a checkpoint path, a shipped model's name)."""

    kind: str
    arg: str


def parse_name(name: str) -> ParsedName:
    """Split one estimator name (not an ``a|b`` list); ``ConfigError`` for an unknown
    prefix. Plain names are not checked against the catalog."""
    prefix, sep, arg = name.partition(":")
    if not sep:
        return ParsedName("", name)
    if prefix not in PREFIX_FORMS:
        raise unknown_name(name)
    return ParsedName(prefix, arg)


def role_of(name: str) -> str:
    """The role (:data:`~chanest.estimators.base.ROLES`) of an estimator name: its catalog
    entry's; ``PREFIX:ARG`` networks are practical; ``a|b`` (one per user) takes the
    strongest of its parts. ``ConfigError`` for unknown names."""
    if "|" in name:
        return max((role_of(part.strip()) for part in name.split("|")), key=ROLES.index)
    kind, arg = parse_name(name)
    if kind:
        return "practical"
    if arg not in REGISTRY:
        raise unknown_name(name)
    return REGISTRY[arg].role


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
    if entry.needs_statistics and not ctx.profiles:
        raise ConfigError(f"estimator {name}: needs the scenario's channel statistics (tap "
                          "profiles), which this data does not carry")
    check_options(name, entry.factory, opts)
    with construction_errors(name):
        est = entry.factory(ctx, device, **fixed, **opts)
    est.name, est.role = name, entry.role
    return est
