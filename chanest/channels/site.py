"""Ray-traced sites: ``channel: {model: site, scene: munich, bs_position: [x, y, z], …}``.

Each grid is the uplink of one user at a position drawn uniformly in the site's region
(:mod:`chanest.channels.site_region`, its train or test part) at ``ue_height``, moving
horizontally in a uniformly drawn direction at the grid's speed (``speed_mps``). The
paths from the base station (``channel.array``, facing ``bs_look_at``) to the user are
ray traced with Sionna RT (:mod:`chanest.channels.site_scene`; the optional ``rt``
extra, imported only here, :mod:`chanest.channels.site_runtime`).

Positions are kept only if they are outdoors (a ray straight up hits nothing) and get at
least one path; others are drawn again, and each grid records the fraction of drawn
positions kept (``coverage``). A region where too few are kept is refused.

A grid is h = Σ_k g_k ⊗ d(ν_k) ⊗ e(τ_k − τ_0) over its paths k: gains at the base-station
antennas, Doppler ν_k = v·r̂_k/λ from the user's velocity and the path's arrival
direction, delays relative to the first path τ_0 (the receiver is synchronised to it).
By default (``pathloss: false``) each grid is scaled to unit expected power given its
paths, as UMi/UMa/RMa; ``pathloss: true`` keeps the traced gains. The paths are stored in
chanest's :class:`~chanest.channels.paths.Paths` form (the ``genie-paths`` reference).

Traced position sets are cached (:mod:`chanest.channels.site_cache`): the positions of
a draw derive from one seed taken from the chunk's generator, so a chunk traces the same
set in any run, shard or resumption, and the set is traced once. A cached set gives
bit-identical data; the same set traced again agrees to single-precision rounding (Sionna
RT's parallel path search may refine a path from other rays).

Per grid, :data:`PARAMETERS` are recorded.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
import torch
from pydantic import Field, model_validator

import chanest.channels.site_cache as site_cache
from chanest.channels.base import SPEED_OF_LIGHT, ChannelSampler, Draw, ModelBase
from chanest.channels.paths import Paths
from chanest.channels.profiles import TapProfile
from chanest.channels.site_region import SiteRegion, SiteSplit, sample_xy
from chanest.channels.site_runtime import load_rt
from chanest.channels.site_scene import SiteScene, Traced, scene_digest, scene_file
from chanest.grid.ofdm import symbol_times
from chanest.schema import ConfigError

__all__ = ["SiteModel", "SiteSampler", "PARAMETERS"]

#: per-grid parameters of a site draw, with their units (``delay_spread_lsp``: the grid's
#: RMS delay spread over its paths, under the name the simulator reads per grid)
PARAMETERS = {"los": "bool", "num_paths": "count", "distance_2d": "m", "x": "m", "y": "m",
              "heading": "rad", "coverage": "fraction", "delay_spread_lsp": "s"}

#: drawn positions per wanted one before a region is refused (at least _MIN_TRIES; after
#: _MIN_TRIES when none had a path)
_TRIES_PER_POSITION, _MIN_TRIES = 100, 256
#: most positions traced in one solver call
_MAX_TRACE = 2048


class SiteModel(ModelBase):
    """A ray-traced site (module docstring)."""

    geometric = True
    description: ClassVar[str] = ("ray-traced site (Sionna RT scene, base station, user "
                                  "region); needs the rt extra")
    model: Literal["site"]
    scene: str = Field(default="munich", description="a Sionna RT scene name or a path "
                       "to a Mitsuba .xml file")
    bs_position: tuple[float, float, float] = (8.5, 21.0, 27.0)
    bs_look_at: tuple[float, float, float] | None = Field(
        default=None, description="point the array faces (default: the region's centre at "
        "ue_height)")
    region: SiteRegion | None = Field(default=None, description="default: the scene's "
                                      "bounding box")
    ue_height: float = Field(default=1.5, description="z of the users [m]")
    split: SiteSplit = Field(default_factory=SiteSplit)
    max_depth: int = Field(default=3, ge=0, le=10, description="most interactions per path")
    samples_per_src: int = Field(default=10**6, ge=100, le=10**8,
                                 description="rays shot from the base station")
    pathloss: bool = False
    cache: bool = Field(default=True, description="reuse traced position sets "
                        "($CHANEST_CACHE_DIR/sites)")

    @model_validator(mode="after")
    def _check(self) -> SiteModel:
        if self.doppler_hz is not None:
            raise ValueError("site draws each path's Doppler from the user's speed: give "
                             "speed_mps, not doppler_hz")
        return self

    @property
    def label(self) -> str:
        part = "" if self.split.part == "all" else f"-{self.split.part}"
        return f"site-{Path(self.scene).stem}{part}"

    def sampler(self, grid, array, device: str) -> SiteSampler:
        return SiteSampler(self, grid, array, device)


class SiteSampler(ChannelSampler):
    """Grids of a ray-traced site (module docstring)."""

    def _build(self):
        cfg, fc = self.cfg, self.grid.carrier_frequency
        rt = load_rt()
        xml = scene_file(cfg.scene)
        self._digest = scene_digest(xml)
        self._wavelength = SPEED_OF_LIGHT / fc
        region = cfg.region
        if region is None:  # the scene's bounding box
            box = rt.load_scene(str(xml), merge_shapes=True).mi_scene.bbox()
            region = SiteRegion(x=(float(box.min[0]), float(box.max[0])),
                                y=(float(box.min[1]), float(box.max[1])))
        self.region = region
        look_at = cfg.bs_look_at
        if look_at is None:
            look_at = (sum(region.x) / 2, sum(region.y) / 2, cfg.ue_height)
        self.look_at = tuple(float(v) for v in look_at)
        self._times = torch.as_tensor(symbol_times(self.grid), dtype=torch.float64)
        self._site = SiteScene(rt, xml, fc, cfg.bs_position, self.look_at, self.array,
                               cfg.max_depth, cfg.samples_per_src)
        return self._site

    def _profile(self) -> TapProfile:
        # no site-average power-delay profile: the paths are traced per position
        return TapProfile(self.label, np.zeros(0), np.zeros(0), scale_delays=False)

    def _delay_spread_range(self) -> tuple[float, float]:
        return 0.0, 0.0

    def settings(self, n: int, seed: int) -> dict:
        """Everything that determines the traced set of ``n`` positions from ``seed``."""
        cfg = self.cfg
        return {"scene": self._digest, "carrier_frequency": self.grid.carrier_frequency,
                "bs_position": list(cfg.bs_position), "bs_look_at": list(self.look_at),
                "array": self.array.model_dump(mode="json"),
                "region": self.region.model_dump(mode="json"),
                "split": cfg.split.model_dump(mode="json"), "ue_height": cfg.ue_height,
                "max_depth": cfg.max_depth, "samples_per_src": cfg.samples_per_src,
                "tries": [_TRIES_PER_POSITION, _MIN_TRIES], "n": n, "seed": seed}

    def draw(self, delay_spread: torch.Tensor, doppler: torch.Tensor, gen: torch.Generator,
             paths: bool = False) -> Draw:
        """Channel grids of ``n`` users of the site.

        Args:
            delay_spread: [n] ignored (the paths set it).  doppler: [n] maximum Doppler
                [Hz] (the speed).  gen: the chunk's generator (set seed, headings).
            paths: also return each grid's :class:`Paths`.

        Returns:
            :class:`Draw` with ``h`` [n, A, S, F] complex64, ``paths`` and
            :data:`PARAMETERS` [n].
        """
        n = int(doppler.shape[0])
        seed = int(torch.randint(0, 2**62, (1,), generator=gen, device=gen.device))
        heading = torch.rand(n, generator=gen, device=gen.device, dtype=torch.float64)
        heading = heading.cpu() * 2 * math.pi  # [n] direction of travel
        found = self.traced(n, seed)
        speed = doppler.cpu().double() * self._wavelength  # [n] m/s (ν_max = v/λ)
        velocity = torch.stack([speed * heading.cos(), speed * heading.sin(),
                                torch.zeros_like(speed)], -1)  # [n, 3]
        direction = torch.as_tensor(found["direction"]).double()  # [n, K, 3]
        nu = (direction * velocity[:, None]).sum(-1) / self._wavelength  # [n, K] Hz
        valid = torch.as_tensor(found["valid"])
        gain = torch.as_tensor(found["gain"]).to(torch.complex128)  # [n, K, A]
        delay = torch.as_tensor(found["delay"])  # [n, K] s
        first = torch.where(valid, delay, math.inf).amin(-1, keepdim=True)  # [n, 1]
        delay = torch.where(valid, delay - first, 0.0)
        power = (gain.abs() ** 2).sum(1).mean(-1)  # [n]
        if not self.cfg.pathloss:
            gain = gain * power.rsqrt()[:, None, None]
        found_paths = Paths(gain.to(torch.complex64), torch.where(valid, nu, 0.0).float(),
                            delay.float())
        h = found_paths.response(self._times, self._freqs.cpu().double())  # [n, A, S, F]
        params = {**self._parameters(found, delay, gain), "heading": heading.float()}
        dev = self.device
        return Draw(h.to(dev), found_paths.to(dev) if paths else None,
                    {k: v.to(dev) for k, v in params.items()})

    def _parameters(self, found: dict, delay: torch.Tensor, gain: torch.Tensor
                    ) -> dict[str, torch.Tensor]:
        """:data:`PARAMETERS` [n] of a traced set (``delay`` [n, K] relative, ``gain``)."""
        xy = torch.as_tensor(found["xy"])  # [n, 2]
        bs = torch.tensor(self.cfg.bs_position[:2], dtype=torch.float64)
        w = (gain.abs() ** 2).sum(-1)  # [n, K]
        w = w / w.sum(-1, keepdim=True)
        mean = (w * delay).sum(-1)
        spread = ((w * delay ** 2).sum(-1) - mean ** 2).clamp_min(0).sqrt()
        n = xy.shape[0]
        coverage = float(found["hits"]) / float(found["candidates"])
        out = {"los": torch.as_tensor(found["los"]), "num_paths":
               torch.as_tensor(found["valid"]).sum(-1), "distance_2d": (xy - bs).norm(dim=-1),
               "x": xy[:, 0], "y": xy[:, 1], "coverage": torch.full((n,), coverage),
               "delay_spread_lsp": spread}
        return {k: v.float() for k, v in out.items()}

    def traced(self, n: int, seed: int) -> dict[str, np.ndarray]:
        """The traced set of ``n`` positions from ``seed``: from the cache, or traced (and
        cached). Keys: ``xy`` [n, 2], :class:`Traced`'s fields, ``candidates`` and
        ``hits`` (positions drawn for the set, and those outdoors with a path)."""
        key = site_cache.cache_key(self.settings(n, seed))
        if self.cfg.cache:
            stored = site_cache.load(key)
            if stored is not None:
                return stored
        found = self._trace_set(n, seed)
        if self.cfg.cache:
            site_cache.save(key, found)
        return found

    def _trace_set(self, n: int, seed: int) -> dict[str, np.ndarray]:
        """Draw positions from ``seed`` until ``n`` are outdoors with a path; trace them."""
        cfg, rng = self.cfg, np.random.default_rng(seed)
        parts: list[tuple[np.ndarray, Traced]] = []
        kept = candidates = hits = 0
        limit = max(_MIN_TRIES, _TRIES_PER_POSITION * n)
        while kept < n:
            if candidates >= (limit if hits else _MIN_TRIES):
                self._no_coverage(kept, candidates)
            rate = max(kept / candidates if candidates else 0.3, 0.02)
            m = min(_MAX_TRACE, math.ceil((n - kept) / rate * 1.2) + 4,
                    max(limit - candidates, 1))
            xy = sample_xy(self.region, cfg.split, rng, m)  # [m, 2]
            points = np.concatenate([xy, np.full((m, 1), cfg.ue_height)], 1)
            candidates += m
            outdoor = ~self._site.covered(points)
            if not outdoor.any():
                continue
            traced = self._site.trace(points[outdoor])
            has = np.flatnonzero(traced.valid.any(-1))
            hits += len(has)
            has = has[:n - kept]
            if len(has):
                parts.append((xy[outdoor][has], _select(traced, has)))
                kept += len(has)
        out = _concat([t for _, t in parts])
        return {"xy": np.concatenate([xy for xy, _ in parts]), **out,
                "candidates": np.array(candidates), "hits": np.array(hits)}

    def _no_coverage(self, kept: int, candidates: int):
        cfg, r = self.cfg, self.region
        part = "" if cfg.split.part == "all" else f" ({cfg.split.part} part)"
        raise ConfigError(f"channel.region: only {kept} of {candidates} positions drawn in "
                          f"x {list(r.x)}, y {list(r.y)}{part} at z {cfg.ue_height} m were "
                          "outdoors with a path from the base station; move the region or "
                          "the base station, or raise max_depth")


def _select(t: Traced, idx: np.ndarray) -> Traced:
    """The positions ``idx`` of a traced set."""
    return Traced(t.gain[idx], t.delay[idx], t.direction[idx], t.valid[idx], t.los[idx])


def _concat(parts: list[Traced]) -> dict[str, np.ndarray]:
    """Traced sets joined along positions, padded to the most paths (arrays by field)."""
    k = max(t.valid.shape[1] for t in parts)

    def pad(x: np.ndarray) -> np.ndarray:
        width = [(0, 0), (0, k - x.shape[1])] + [(0, 0)] * (x.ndim - 2)
        return np.pad(x, width)

    return {"gain": np.concatenate([pad(t.gain) for t in parts]),
            "delay": np.concatenate([pad(t.delay) for t in parts]),
            "direction": np.concatenate([pad(t.direction) for t in parts]),
            "valid": np.concatenate([pad(t.valid) for t in parts]),
            "los": np.concatenate([t.los for t in parts])}
