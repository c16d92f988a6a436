"""Channel estimators: one file per family, one registry (see :mod:`.registry`).

:func:`role_of` tells what a name is (practical, reference or bound);
:func:`parse_name` splits ``ckpt:PATH`` / ``pretrained:NAME`` names."""

from chanest.estimators.base import (
    ROLES,
    Estimate,
    Estimator,
    GridContext,
    Observation,
    SideInfo,
    observe,
)
from chanest.estimators.registry import (
    available_estimators,
    build_estimator,
    parse_name,
    role_of,
)

__all__ = ["ROLES", "Estimate", "Estimator", "GridContext", "Observation", "SideInfo",
           "observe", "available_estimators", "build_estimator", "parse_name", "role_of"]
