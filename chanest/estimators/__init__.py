"""Channel estimators: one file per family, one registry (see :mod:`.registry`)."""

from chanest.estimators.base import Estimate, Estimator, GridContext, Observation, SideInfo, observe
from chanest.estimators.registry import available_estimators, build_estimator

__all__ = ["Estimate", "Estimator", "GridContext", "Observation", "SideInfo", "observe",
           "available_estimators", "build_estimator"]
