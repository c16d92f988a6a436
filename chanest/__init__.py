"""chanest: OFDM channel-estimation research toolkit.

Simulate pilot grids over 3GPP and classic channel models (``chanest.simulate``),
store them as versioned HDF5 datasets (``chanest.dataset``), and compare
estimators against LS/LMMSE baselines and the MMSE bound. ``chanest.SionnaEstimator``
puts any chanest estimator into a Sionna link (:mod:`chanest.link`).
"""

from chanest.versions import __version__

__all__ = ["__version__", "SionnaEstimator"]


def __getattr__(name: str):
    if name == "SionnaEstimator":  # imported on first use: it pulls in Sionna
        from chanest.link.adapter import SionnaEstimator

        return SionnaEstimator
    raise AttributeError(f"module 'chanest' has no attribute {name!r}")
