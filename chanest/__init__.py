"""chanest: OFDM channel-estimation research toolkit.

Simulate pilot grids over 3GPP and classic channel models (``chanest.simulate``),
store them as versioned HDF5 datasets (``chanest.dataset``), and compare
estimators against LS/LMMSE baselines and the MMSE bound.
"""

from chanest.versions import __version__

__all__ = ["__version__"]
