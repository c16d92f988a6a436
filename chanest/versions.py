"""Versions of chanest and the libraries that shape its numbers (for provenance)."""

from __future__ import annotations

from importlib import metadata

__all__ = ["__version__", "versions"]

try:
    __version__ = metadata.version("chanest")
except metadata.PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.1.0+src"


#: the optional ray tracer and its renderer, listed only where installed (the rt extra)
_OPTIONAL = (("sionna-rt", "sionna_rt"), ("mitsuba", "mitsuba"), ("drjit", "drjit"))


def versions() -> dict[str, str]:
    """{package: version} for chanest, torch, sionna, numpy, scipy, h5py, and sionna_rt,
    mitsuba, drjit where the rt extra is installed."""
    out = {"chanest": __version__}
    for dist, key in (("torch", "torch"), ("sionna-no-rt", "sionna"), ("numpy", "numpy"),
                      ("scipy", "scipy"), ("h5py", "h5py")):
        try:
            out[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[key] = "unknown"
    for dist, key in _OPTIONAL:
        try:
            out[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out
