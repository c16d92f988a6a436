"""Link level: chanest estimators inside Sionna chains, BER/BLER evaluation.

* :mod:`chanest.link.layout`: a Sionna ``ResourceGrid`` as per-stream chanest problems;
* :mod:`chanest.link.adapter`: :class:`SionnaEstimator`, any chanest estimator as a
  Sionna channel estimator.
"""

from chanest.link.adapter import SionnaEstimator

__all__ = ["SionnaEstimator"]
