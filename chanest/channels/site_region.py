"""Where the users of a ray-traced site are drawn: a rectangle and its train/test split.

``region: {x: [lo, hi], y: [lo, hi]}`` is the rectangle (scene coordinates, m).
``split: {part: train | test | all, test_fraction: f, stripes: k}`` cuts it into k
stripes along x; the last fraction f of every stripe's width is the *test* part and the
rest the *train* part. Positions are drawn uniformly on the part named, so a training
and a test dataset of one site are disjoint by construction, whatever their seeds.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from chanest.schema import Range, Strict

__all__ = ["SiteRegion", "SiteSplit", "sample_xy", "part_of"]


class SiteRegion(Strict):
    """The rectangle users are drawn in [m]."""

    x: Range
    y: Range

    @model_validator(mode="after")
    def _check(self) -> SiteRegion:
        for name in ("x", "y"):
            lo, hi = getattr(self, name)
            if not hi > lo:
                raise ValueError(f"region.{name} must have low < high, got [{lo}, {hi}]")
        return self


class SiteSplit(Strict):
    """Train/test parts of the region (module docstring)."""

    part: Literal["all", "train", "test"] = "all"
    by: Literal["region"] = "region"
    test_fraction: float = Field(default=0.2, gt=0.0, lt=1.0)
    stripes: int = Field(default=5, ge=1, le=10_000)


def sample_xy(region: SiteRegion, split: SiteSplit, rng: np.random.Generator,
              m: int) -> np.ndarray:
    """[m, 2] positions (x, y) drawn uniformly on the split's part of the region."""
    (x0, x1), (y0, y1) = region.x, region.y
    u = rng.random((m, 2))
    y = y0 + u[:, 1] * (y1 - y0)
    if split.part == "all":
        return np.stack([x0 + u[:, 0] * (x1 - x0), y], -1)
    width, f = (x1 - x0) / split.stripes, split.test_fraction
    stripe = rng.integers(0, split.stripes, m)
    start, share = (0.0, 1.0 - f) if split.part == "train" else (1.0 - f, f)
    return np.stack([x0 + width * (stripe + start + u[:, 0] * share), y], -1)


def part_of(region: SiteRegion, split: SiteSplit, x: np.ndarray) -> np.ndarray:
    """[m] the part (``"train"`` or ``"test"``) each x [m] lies in."""
    x0, x1 = region.x
    within = ((x - x0) / ((x1 - x0) / split.stripes)) % 1.0
    return np.where(within >= 1.0 - split.test_fraction, "test", "train")
