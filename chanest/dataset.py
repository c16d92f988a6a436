"""Versioned HDF5 datasets: streaming writer with resume, multi-file (shard) reader.

Schema ``chanest-dataset`` version 1, one file per shard::

    /h             [n, L, S, F] complex64   true channel
    /y             [n, L, P]    complex64   received pilots y = h_p·x_p + n
    /no, /snr_db, /delay_spread, /doppler, /speed   [n] float32
    /model         [n] int16    index into the profiles below
    /pilot_mask    [S, F] uint8
    /pilots        [P] complex64
    /profiles/<i>  group: delays [C], powers [C]; attrs label, scale_delays,
                   los_power, delay_spread_range, doppler_range
    /chunks_done   [K_shard] bool   (resume bookkeeping)
    attrs: schema, schema_version, chanest/torch/sionna versions, config (YAML),
           config_fingerprint, seed, chunk_size, num_samples_total, shard_index,
           num_shards, first_sample, num_samples, first_chunk, device_type, complete

A file is written as ``NAME.partial`` and renamed to ``NAME`` when complete.
Samples ``first_sample … first_sample+num_samples-1`` of the scenario's
infinite chunk sequence are in the file, so shards concatenate into the
unsharded dataset. Reading never executes code from the file.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Sequence

import h5py
import numpy as np
import torch
import yaml

from chanest.batch import Batch
from chanest.config import ConfigError, Scenario, parse_config
from chanest.profiles import TapProfile
from chanest.versions import versions

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "ShardSpec",
    "parse_shard",
    "DatasetWriter",
    "ChannelDataset",
    "open_dataset",
    "expand_paths",
]

SCHEMA = "chanest-dataset"
SCHEMA_VERSION = 1
_PER_SAMPLE = ("no", "snr_db", "delay_spread", "doppler", "speed")
_TARGET_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class ShardSpec:
    """Shard ``index`` of ``count``: a contiguous range of whole seed chunks."""

    index: int = 0
    count: int = 1

    def chunk_range(self, num_chunks: int) -> tuple[int, int]:
        return (self.index * num_chunks // self.count,
                (self.index + 1) * num_chunks // self.count)


def parse_shard(text: str | None) -> ShardSpec:
    """Parse ``i/n`` (0 <= i < n) into a :class:`ShardSpec`."""
    if text is None:
        return ShardSpec()
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise ConfigError(f"--shard: expected i/n with integers 0 <= i < n, got {text!r}") from None
    if not (n >= 1 and 0 <= i < n):
        raise ConfigError(f"--shard: expected i/n with integers 0 <= i < n, got {text!r}")
    return ShardSpec(i, n)


# ---------------------------------------------------------------------------
# Writer
# ---------------------------------------------------------------------------


class DatasetWriter:
    """Writes one shard of a dataset from a simulator, resumably.

    Usage::

        writer = DatasetWriter(path, simulator, num_samples, shard, batch_size)
        for done, total in writer.run(): ...   # progress
        writer.path  # final file

    ``batch_size`` (grids per write, a multiple of the chunk size; default one
    chunk) changes memory use and write granularity, never the data.
    """

    def __init__(self, path: str | Path, simulator, num_samples: int,
                 shard: ShardSpec = ShardSpec(), batch_size: int | None = None,
                 overwrite: bool = False):
        if num_samples < 1:
            raise ConfigError(f"--num-samples: must be >= 1, got {num_samples}")
        c = simulator.chunk_size
        batch_size = c if batch_size is None else batch_size
        if batch_size < 1 or batch_size % c:
            raise ConfigError(f"--batch-size: must be a positive multiple of the chunk size "
                              f"({c}), got {batch_size}")
        self.chunks_per_write = batch_size // c
        self.path = Path(path)
        self.partial = self.path.with_name(self.path.name + ".partial")
        self.sim = simulator
        self.num_samples_total = num_samples
        self.shard = shard
        num_chunks = simulator.num_chunks(num_samples)
        if shard.count > num_chunks:
            raise ConfigError(f"--shard: {shard.count} shards but the dataset has only "
                              f"{num_chunks} chunks of {simulator.chunk_size} grids")
        self.first_chunk, self.last_chunk = shard.chunk_range(num_chunks)
        self.first_sample = self.first_chunk * c
        self.num_samples = min(self.last_chunk * c, num_samples) - self.first_sample
        if self.path.suffix == ".partial":
            raise ConfigError("--out: the name must not end in .partial")
        if self.path.exists() and not overwrite:
            raise ConfigError(f"--out: {self.path} exists; pass --overwrite to replace it")

    # -- file creation ------------------------------------------------------
    def _attrs(self) -> dict:
        sc: Scenario = self.sim.scenario
        return dict(
            schema=SCHEMA, schema_version=SCHEMA_VERSION, config=sc.to_yaml(),
            config_fingerprint=sc.fingerprint(), seed=sc.seed, chunk_size=sc.chunk_size,
            num_samples_total=self.num_samples_total, shard_index=self.shard.index,
            num_shards=self.shard.count, first_sample=self.first_sample,
            num_samples=self.num_samples, first_chunk=self.first_chunk,
            device_type=torch.device(self.sim.device).type,
        )

    def _create(self) -> h5py.File:
        sim, sc = self.sim, self.sim.scenario
        n, L = self.num_samples, sc.channel.num_rx_antennas
        S, F, P = sc.grid.num_symbols, sc.grid.num_subcarriers, len(sim.pilot_idx)
        f = h5py.File(self.partial, "w")
        attrs = self._attrs()
        f.attrs.update(attrs)
        f.attrs.update({f"{k}_version": v for k, v in versions().items()})
        f.attrs["created"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        f.attrs["complete"] = False
        rows = max(1, min(sim.chunk_size, _TARGET_CHUNK_BYTES // (L * S * F * 8)))
        f.create_dataset("h", (n, L, S, F), np.complex64, chunks=(min(rows, n), L, S, F))
        f.create_dataset("y", (n, L, P), np.complex64,
                         chunks=(min(sim.chunk_size, n), L, P))
        for name in _PER_SAMPLE:
            f.create_dataset(name, (n,), np.float32)
        f.create_dataset("model", (n,), np.int16)
        f.create_dataset("pilot_mask", data=sim.mask.astype(np.uint8))
        f.create_dataset("pilots", data=sim.pilots)
        group = f.create_group("profiles")
        weights = [m.weight for m in sc.channel.models]
        for i, s in enumerate(sim.samplers):
            g = group.create_group(str(i))
            g.create_dataset("delays", data=s.profile.delays)
            g.create_dataset("powers", data=s.profile.powers)
            g.attrs.update(label=s.label, scale_delays=s.profile.scale_delays,
                           los_power=s.profile.los_power,
                           delay_spread_range=s.delay_spread_range,
                           doppler_range=s.doppler_range, weight=weights[i] / sum(weights))
        f.create_dataset("chunks_done", (self.last_chunk - self.first_chunk,), bool)
        return f

    def _open(self) -> h5py.File:
        """Open the partial file to resume, or create it."""
        if not self.partial.exists():
            return self._create()
        try:
            f = h5py.File(self.partial, "r+")
        except OSError:
            raise ConfigError(f"--out: {self.partial} is unreadable (interrupted while "
                              "writing metadata?); delete it to start over") from None
        expected = self._attrs()
        mismatch = [k for k, v in expected.items() if _attr(f, k) != v]
        if mismatch:
            f.close()
            raise ConfigError(f"--out: {self.partial} is from a different run ({mismatch[0]} "
                              "differs); delete it or choose another --out")
        return f

    # -- main loop ----------------------------------------------------------
    def run(self) -> Iterator[tuple[int, int]]:
        """Generate missing chunks; yields (grids done, grids total) first and after each write."""
        per_batch = self.chunks_per_write
        with self._open() as f:
            done = f["chunks_done"][:]
            todo = [self.first_chunk + j for j in np.flatnonzero(~done)]
            yield self._grids_in(np.flatnonzero(done)), self.num_samples
            for start in range(0, len(todo), per_batch):
                chunks = todo[start:start + per_batch]
                for k in chunks:
                    self._write_chunk(f, k, self.sim.chunk(k).to("cpu"))
                f.flush()
                done[[k - self.first_chunk for k in chunks]] = True
                f["chunks_done"][:] = done
                f.flush()
                yield self._grids_in(np.flatnonzero(done)), self.num_samples
            f.attrs["complete"] = True
        os.replace(self.partial, self.path)

    def _grids_in(self, local_chunks: np.ndarray) -> int:
        c = self.sim.chunk_size
        ends = np.minimum((local_chunks + 1) * c, self.num_samples)
        return int(np.sum(ends - local_chunks * c))

    def _write_chunk(self, f: h5py.File, k: int, batch: Batch) -> None:
        lo = k * self.sim.chunk_size - self.first_sample
        hi = min(lo + self.sim.chunk_size, self.num_samples)
        b = batch[: hi - lo]
        f["h"][lo:hi] = b.h.numpy()
        f["y"][lo:hi] = b.y.numpy()
        for name in _PER_SAMPLE:
            f[name][lo:hi] = getattr(b, name).numpy()
        f["model"][lo:hi] = b.model.numpy().astype(np.int16)


def _attr(f: h5py.File, key: str):
    value = f.attrs.get(key)
    return value.item() if isinstance(value, np.generic) else value


# ---------------------------------------------------------------------------
# Reader
# ---------------------------------------------------------------------------


def expand_paths(paths: str | Path | Sequence[str | Path]) -> list[Path]:
    """Files from a path, a glob, or a list of either (sorted glob matches)."""
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    out: list[Path] = []
    for item in items:
        text = str(item)
        if any(ch in text for ch in "*?["):
            matches = sorted(glob.glob(text))
            if not matches:
                raise ConfigError(f"--data: no file matches {text!r}")
            out += [Path(m) for m in matches]
        else:
            out.append(Path(text))
    if not out:
        raise ConfigError("--data: no dataset file given")
    for p in out:
        if not p.is_file():
            hint = " (an interrupted run? re-run simulate to resume)" if Path(
                str(p) + ".partial").exists() else ""
            raise ConfigError(f"--data: file not found: {p}{hint}")
    return out


class _Part:
    """One opened file of a dataset."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.file = h5py.File(path, "r")
        except OSError:
            raise ConfigError(f"--data: {path} is not a readable HDF5 file") from None
        attrs = self.file.attrs
        if _attr(self.file, "schema") != SCHEMA:
            raise ConfigError(f"--data: {path} is not a chanest dataset (schema attribute "
                              f"{_attr(self.file, 'schema')!r})")
        version = _attr(self.file, "schema_version")
        if version != SCHEMA_VERSION:
            raise ConfigError(f"--data: {path} has schema version {version}; this chanest "
                              f"reads version {SCHEMA_VERSION}")
        if not _attr(self.file, "complete"):
            raise ConfigError(f"--data: {path} is incomplete; re-run simulate to finish it")
        self.fingerprint = str(attrs["config_fingerprint"])
        self.first = int(attrs["first_sample"])
        self.count = int(attrs["num_samples"])


class ChannelDataset:
    """A dataset made of one or more shard files, read as one sequence of grids.

    Attributes:
        scenario: the resolved :class:`Scenario` the data was simulated from.
        mask: [S, F] bool pilot mask.  pilots: [P] complex64 pilot symbols.
        labels: model label per profile.  profiles: list of :class:`TapProfile`.
        paths: files, in sample order.
    """

    def __init__(self, paths: Sequence[Path]):
        parts = [_Part(p) for p in paths]
        fps = {p.fingerprint for p in parts}
        if len(fps) > 1:
            raise ConfigError("--data: the files come from different scenarios "
                              "(config fingerprints differ)")
        parts.sort(key=lambda p: p.first)
        for a, b in zip(parts, parts[1:]):
            if b.first < a.first + a.count:
                raise ConfigError(f"--data: {a.path.name} and {b.path.name} overlap "
                                  "(the same shard given twice?)")
        self._parts = parts
        self.paths = [p.path for p in parts]
        self._offsets = np.cumsum([0] + [p.count for p in parts])
        head = parts[0].file
        self.scenario = parse_config(yaml.safe_load(head.attrs["config"]),
                                     source=f"{parts[0].path.name}:config")
        self.mask = head["pilot_mask"][:].astype(bool)
        self.pilots = head["pilots"][:]
        self.profiles, self.labels = [], []
        self.delay_spread_ranges, self.doppler_ranges, self.weights = [], [], []
        group = head["profiles"]
        for i in range(len(group)):
            g = group[str(i)]
            self.labels.append(str(g.attrs["label"]))
            self.profiles.append(TapProfile(self.labels[-1], g["delays"][:], g["powers"][:],
                                            bool(g.attrs["scale_delays"]),
                                            float(g.attrs["los_power"])))
            self.delay_spread_ranges.append(tuple(float(v) for v in g.attrs["delay_spread_range"]))
            self.doppler_ranges.append(tuple(float(v) for v in g.attrs["doppler_range"]))
            self.weights.append(float(g.attrs["weight"]))
        self.sample_ranges = [(p.first, p.first + p.count) for p in parts]

    def __len__(self) -> int:
        return int(self._offsets[-1])

    def close(self) -> None:
        for p in self._parts:
            p.file.close()

    def __enter__(self) -> "ChannelDataset":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def attrs(self) -> dict:
        """Attributes of the first file (versions, seed, …), as plain values."""
        f = self._parts[0].file
        return {k: _attr(f, k) for k in f.attrs}

    def read(self, start: int = 0, stop: int | None = None) -> Batch:
        """Grids ``start … stop-1`` (dataset order) as a CPU :class:`Batch`."""
        stop = len(self) if stop is None else min(stop, len(self))
        if not 0 <= start < stop:
            raise IndexError(f"empty or invalid range [{start}, {stop}) of {len(self)} grids")
        pieces = []
        for part, off in zip(self._parts, self._offsets):
            lo, hi = max(start - off, 0), min(stop - off, part.count)
            if lo < hi:
                f = part.file
                pieces.append(Batch(
                    h=torch.from_numpy(f["h"][lo:hi]), y=torch.from_numpy(f["y"][lo:hi]),
                    model=torch.from_numpy(f["model"][lo:hi].astype(np.int64)),
                    **{k: torch.from_numpy(f[k][lo:hi]) for k in _PER_SAMPLE}))
        return Batch.cat(pieces)

    def column(self, name: str) -> np.ndarray:
        """[N] one per-sample array (``no``, ``snr_db``, ``model``, …) over all files."""
        if name not in _PER_SAMPLE + ("model",):
            raise KeyError(f"{name!r} is not a per-sample column")
        return np.concatenate([part.file[name][:] for part in self._parts])

    def iter_batches(self, batch_size: int, device: str = "cpu", start: int = 0,
                     stop: int | None = None) -> Iterator[Batch]:
        """Consecutive batches of ``batch_size`` grids (the last may be shorter)."""
        stop = len(self) if stop is None else min(stop, len(self))
        for lo in range(start, stop, batch_size):
            yield self.read(lo, min(lo + batch_size, stop)).to(device)

    @property
    def fingerprint(self) -> str:
        """sha256 over the config fingerprint, sample ranges and the stored pilots/noise."""
        if not hasattr(self, "_fingerprint"):
            digest = hashlib.sha256()
            digest.update(self._parts[0].fingerprint.encode())
            digest.update(json.dumps(self.sample_ranges).encode())
            for part in self._parts:
                for name in ("y", "no"):
                    for lo in range(0, part.count, 65536):
                        digest.update(part.file[name][lo:lo + 65536].tobytes())
            self._fingerprint = digest.hexdigest()
        return self._fingerprint

    def context(self):
        """The :class:`~chanest.estimators.base.GridContext` of this dataset."""
        from chanest.estimators.base import GridContext

        return GridContext(grid=self.scenario.grid, mask=self.mask, pilots=self.pilots,
                           profiles=tuple(self.profiles), labels=tuple(self.labels),
                           delay_spread_range=tuple(self.delay_spread_ranges),
                           doppler_range=tuple(self.doppler_ranges),
                           weights=tuple(self.weights))


def open_dataset(paths: str | Path | Sequence[str | Path]) -> ChannelDataset:
    """Open a dataset from a file, a glob, or a list of shard files."""
    return ChannelDataset(expand_paths(paths))


def context_for(simulator):
    """The :class:`~chanest.estimators.base.GridContext` of a live simulator."""
    from chanest.estimators.base import GridContext

    s = simulator.samplers
    return GridContext(grid=simulator.scenario.grid, mask=simulator.mask,
                       pilots=simulator.pilots, profiles=tuple(x.profile for x in s),
                       labels=tuple(simulator.labels),
                       delay_spread_range=tuple(x.delay_spread_range for x in s),
                       doppler_range=tuple(x.doppler_range for x in s),
                       weights=tuple(float(w) for w in simulator.mixture_weights))
