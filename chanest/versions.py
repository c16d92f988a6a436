"""Versions of chanest and the libraries that shape its numbers (for provenance)."""

from __future__ import annotations

from importlib import metadata

__all__ = ["__version__", "versions"]

try:
    __version__ = metadata.version("chanest")
except metadata.PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.1.0+src"


def versions() -> dict[str, str]:
    """{package: version} for chanest, torch, sionna, numpy, scipy, h5py."""
    out = {"chanest": __version__}
    for dist, key in (("torch", "torch"), ("sionna-no-rt", "sionna"), ("numpy", "numpy"),
                      ("scipy", "scipy"), ("h5py", "h5py")):
        try:
            out[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[key] = "unknown"
    return out
