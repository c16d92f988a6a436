"""Loading Sionna RT (the optional ``rt`` extra) for ray-traced sites, or saying why not.

Sionna RT runs on Mitsuba/Dr.Jit, whose CPU backend JIT-compiles with the system's LLVM
library. An LLVM older than 16 makes Dr.Jit abort the whole process (not raise) at the
first traced kernel. Unless the library named has a recent version in its file name,
:func:`load_rt` first runs the import and a small kernel in a subprocess and only imports
in this process when that succeeded; otherwise it raises one
:class:`~chanest.schema.ConfigError` line naming what to install.

Dr.Jit reads the library's location from ``DRJIT_LIBLLVM_PATH``; when that is unset,
:func:`find_libllvm` looks for ``libLLVM`` 16 or newer in the standard library folders
and the variable is set to it (before Dr.Jit is imported).
"""

from __future__ import annotations

import functools
import glob
import importlib.util
import os
import re
import subprocess
import sys

from chanest.schema import ConfigError

__all__ = ["find_libllvm", "load_rt", "rt_available", "MIN_LLVM"]

MIN_LLVM = 16
_ENV = "DRJIT_LIBLLVM_PATH"
_FOLDERS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
            "/usr/lib", "/usr/local/lib", "/usr/lib/llvm-*/lib", "/opt/homebrew/opt/llvm/lib",
            "/usr/local/opt/llvm/lib")
_NAMES = ("libLLVM-[0-9]*.so", "libLLVM.so.[0-9]*", "libLLVM-[0-9]*.so.*", "libLLVM.dylib")
_PROBE = ("import mitsuba as mi, drjit as dr\n"
          "mi.set_variant('llvm_ad_mono_polarized')\n"
          "x = dr.arange(mi.Float, 8); dr.eval(dr.minimum(x * 2.0, 5.0)); print(dr.sum(x))\n"
          "import sionna.rt\n")


def _major(path: str) -> int:
    """The LLVM major version in a library's file name (0 if none)."""
    found = re.search(r"LLVM[-.](?:so\.)?(\d+)", os.path.basename(path))
    return int(found.group(1)) if found else 0


def find_libllvm() -> str | None:
    """The newest ``libLLVM`` ≥ :data:`MIN_LLVM` in the standard library folders, or None."""
    found = [p for folder in _FOLDERS for name in _NAMES
             for p in glob.glob(os.path.join(folder, name))]
    found = [p for p in found if _major(p) >= MIN_LLVM or p.endswith(".dylib")]
    return max(found, key=_major) if found else None


def _why_not() -> str | None:
    """Why Sionna RT cannot run here (one line), or None when a subprocess ran a kernel."""
    if "sionna.rt" in sys.modules:  # imported here already, so it ran
        return None
    if importlib.util.find_spec("sionna.rt") is None \
            or importlib.util.find_spec("mitsuba") is None:
        return "Sionna RT is not installed: pip install 'chanest[rt]' (sionna-rt 2.2)"
    if not os.environ.get(_ENV):
        lib = find_libllvm()
        if lib is not None:
            os.environ[_ENV] = lib
    if _major(os.environ.get(_ENV, "")) >= MIN_LLVM:
        return None  # a recent LLVM named: no need to risk the abort in a subprocess
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                              timeout=300, env=dict(os.environ))
    except subprocess.TimeoutExpired:
        return "Sionna RT did not start within 300 s"
    if done.returncode == 0:
        return None
    where = os.environ.get(_ENV) or "unset, and none was found in the standard folders"
    return (f"Sionna RT (Mitsuba/Dr.Jit) could not run a kernel: it needs libLLVM >= "
            f"{MIN_LLVM} (e.g. apt-get install libllvm19) and {_ENV} naming it (now: {where})")


@functools.lru_cache(maxsize=1)
def _checked() -> str | None:
    return _why_not()


def rt_available() -> str | None:
    """None when Sionna RT runs here, else the one-line reason (checked once per process)."""
    return _checked()


def load_rt():
    """The ``sionna.rt`` module, imported after the subprocess check.

    Raises:
        ConfigError: (about ``channel.model``) Sionna RT is missing or cannot run.
    """
    why = rt_available()
    if why is not None:
        raise ConfigError(f"channel.model: site: {why}")
    import sionna.rt as rt

    return rt
