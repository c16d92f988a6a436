"""pyproject.toml's dependency minimums: never below what the installed Sionna requires of
the same packages, and met by the environment the tests run in."""

import importlib.metadata
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
DEPENDENCIES = [Requirement(r) for r in
                tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]]


def minimums(requirements) -> dict[str, Version]:
    """{package: its lowest allowed version} of the requirements that state one."""
    return {canonicalize_name(r.name): Version(s.version) for r in requirements
            for s in r.specifier if s.operator in (">=", "==", "~=")}


def lower_minimums(ours: dict, theirs: dict) -> list[str]:
    """Packages whose minimum in ``ours`` is below the one in ``theirs`` (or missing)."""
    return sorted(f"{name}: {ours.get(name)} < {v}" for name, v in theirs.items()
                  if name in ours and ours[name] < v)


def test_minimums_are_not_below_what_sionna_requires():
    theirs = minimums(Requirement(r) for r in importlib.metadata.requires("sionna-no-rt")
                      if "extra ==" not in r)
    assert {"torch", "numpy", "scipy", "h5py", "matplotlib"} <= set(theirs)
    assert lower_minimums(minimums(DEPENDENCIES), theirs) == []


def test_the_minimum_check_reports_a_lower_minimum():
    assert lower_minimums({"torch": Version("2.4")}, {"torch": Version("2.9.1")}) == \
        ["torch: 2.4 < 2.9.1"]


@pytest.mark.parametrize("requirement", DEPENDENCIES, ids=str)
def test_the_installed_version_meets_the_declared_range(requirement):
    installed = Version(importlib.metadata.version(requirement.name))
    assert requirement.specifier.contains(installed, prereleases=True), installed
