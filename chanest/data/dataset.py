"""Versioned HDF5 datasets: streaming writer with resume, multi-file (shard) reader.

Schema ``chanest-dataset`` version 1, one file per shard::

    /h             [n, L, S, F] complex64   true channel (L = U·A with U users, user-major)
    /y             [n, A, P]    complex64   received pilots y = Σ_u h_u,p·x_u,p + n at the
                                            (union of the users') pilot REs
    /no, /snr_db, /delay_spread, /doppler, /speed   [n] float32
    /model         [n] int16    index into the profiles below
    /pilot_mask    [S, F] uint8
    /pilots        [P] complex64 ([U, P] with users: each user's symbols, 0 where silent)
    /profiles/<i>  group: delays [C], powers [C]; attrs label, scale_delays,
                   los_power, delay_spread_range, doppler_range
    /array         group: positions [A, 3] (m, the array's frame), slant [A] (degrees):
                   the receive array's elements in antenna order (files since arrays)
    /paths         optional (``channel.paths``): gain [n, K, A] complex64, doppler [n, K],
                   delay [n, K] float32, each grid's propagation paths (zero gain: padding)
    /params/<name> optional [n] float32: parameters a model draws per grid (UMi/UMa/RMa:
                   los, delay_spread_lsp, asa, zsa, k_factor_db, distance_2d, indoor; site:
                   los, num_paths, distance_2d, x, y, heading, coverage, delay_spread_lsp),
                   NaN for grids of other models
    attrs: schema, schema_version, chanest/torch/sionna versions, config (YAML),
           config_fingerprint, seed, chunk_size, num_samples_total, shard_index,
           num_shards, first_sample, num_samples, first_chunk, device_type, complete

Files are written by :class:`chanest.data.writer.DatasetWriter` (journaled, resumable
after any interruption, a hard kill included). Samples ``first_sample …
first_sample+num_samples-1`` of the scenario's infinite chunk sequence are in the
file, so shards concatenate into the unsharded dataset. Reading never executes code
from the file.
"""

from __future__ import annotations

import glob
import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import h5py
import numpy as np
import torch

from chanest.channels.paths import Paths
from chanest.channels.profiles import TapProfile
from chanest.data.batch import TENSOR_FIELDS, Batch
from chanest.data.context import GridContext, context_from_dataset
from chanest.data.rowgather import RowGather
from chanest.data.scenario import parse_config
from chanest.data.writer import (  # re-exported: the writer's public names live here too
    PER_SAMPLE_FIELDS,
    SCHEMA,
    SCHEMA_VERSION,
    DatasetWriter,
    ShardSpec,
    parse_shard,
)
from chanest.grid.users import scenario_users
from chanest.schema import ConfigError, parse_yaml

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

#: what the reader needs in every file: per-grid datasets (their rank), other datasets,
#: file attributes, and per channel profile (``profiles/<i>``) datasets and attributes
_GRID_FIELDS = {"h": 4, "y": 3, "model": 1, **{name: 1 for name in PER_SAMPLE_FIELDS}}
_FILE_FIELDS = ("pilot_mask", "pilots", "profiles")
_FILE_ATTRS = ("config", "config_fingerprint", "first_sample", "num_samples",
               "num_samples_total")
_PROFILE_FIELDS = ("delays", "powers")
_PROFILE_ATTRS = ("label", "scale_delays", "los_power", "delay_spread_range",
                  "doppler_range", "weight")


def _read_rows(part: _Part, rows) -> Batch:
    """Grids ``rows`` of one file (a slice, or increasing row indices) as a CPU Batch."""
    f = part.file

    def field(name):
        return torch.from_numpy(part.rows(name, rows))

    paths = None
    if "paths" in f:
        paths = Paths(*(field(f"paths/{name}") for name in ("gain", "doppler", "delay")))
    return Batch(h=field("h"), y=field("y"), model=field("model").long(),
                 **{k: field(k) for k in PER_SAMPLE_FIELDS}, paths=paths,
                 params={k: field(f"params/{k}") for k in f.get("params", {})})


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
                raise ConfigError(f"no file matches {text!r}", arg="paths")
            out += [Path(m) for m in matches]
        else:
            out.append(Path(text))
    if not out:
        raise ConfigError("no dataset file given", arg="paths")
    for p in out:
        if not p.is_file():
            hint = " (an interrupted run? re-run simulate to resume)" if Path(
                str(p) + ".partial").exists() else ""
            raise ConfigError(f"file not found: {p}{hint}", arg="paths")
    return out


def _missing_field(f: h5py.File) -> str | None:
    """What a complete chanest file ``f`` lacks (``has no field 'h'``), None if nothing."""
    for key in _FILE_ATTRS:
        if key not in f.attrs:
            return f"has no attribute {key!r}"
    for name in (*_GRID_FIELDS, *_FILE_FIELDS):
        if name not in f:
            return f"has no field {name!r}"
    n = int(f.attrs["num_samples"])
    for name, rank in _GRID_FIELDS.items():
        shape = getattr(f[name], "shape", None)
        if shape is None or len(shape) != rank or shape[0] != n:
            return f"has field {name!r} of shape {shape}, not {n} grids of rank {rank}"
    profiles = f["profiles"]
    for i in range(max(len(profiles), 1)):  # profiles/0 at least
        where = f"profiles/{i}"
        if where not in f:
            return f"has no field {where!r}"
        for name in _PROFILE_FIELDS:
            if name not in profiles[str(i)]:
                return f"has no field '{where}/{name}'"
        for key in _PROFILE_ATTRS:
            if key not in profiles[str(i)].attrs:
                return f"has no attribute {key!r} of {where!r}"
    return None


class _Part:
    """One opened file of a dataset."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.file = h5py.File(path, "r")
        except OSError:
            raise ConfigError(f"{path} is not a readable HDF5 file", arg="paths") from None
        attrs = self.file.attrs
        if _attr(self.file, "schema") != SCHEMA:
            raise ConfigError(f"{path} is not a chanest dataset (schema attribute "
                              f"{_attr(self.file, 'schema')!r})", arg="paths")
        version = _attr(self.file, "schema_version")
        if version != SCHEMA_VERSION:
            raise ConfigError(f"{path} has schema version {version}; this chanest "
                              f"reads version {SCHEMA_VERSION}", arg="paths")
        if not _attr(self.file, "complete"):
            raise ConfigError(f"{path} is incomplete; re-run simulate to finish it", arg="paths")
        problem = _missing_field(self.file)
        if problem:
            raise ConfigError(f"{path} {problem} (not written by chanest, or modified since)",
                              arg="paths")
        self.fingerprint = str(attrs["config_fingerprint"])
        self.first = int(attrs["first_sample"])
        self.count = int(attrs["num_samples"])
        self._gather: dict[str, RowGather | None] = {}

    def rows(self, name: str, rows) -> np.ndarray:
        """Rows of dataset ``name``: a slice through h5py, scattered row indices (increasing)
        through a memory map where the layout allows (:mod:`chanest.data.rowgather`)."""
        if isinstance(rows, slice):
            return self.file[name][rows]
        if name not in self._gather:
            self._gather[name] = RowGather.of(self.file[name])
        gather = self._gather[name]
        return self.file[name][rows] if gather is None else gather(rows)


class ChannelDataset(torch.utils.data.Dataset):
    """A dataset made of one or more shard files, read as one sequence of grids; as a
    ``torch.utils.data.Dataset``, ``ds[i]`` is grid ``i``'s tensors, so a ``DataLoader``
    batches it (its worker processes get the dataset by pickling, which reopens the files).

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
            raise ConfigError("the files come from different scenarios "
                              "(config fingerprints differ)", arg="paths")
        parts.sort(key=lambda p: p.first)
        for a, b in zip(parts, parts[1:]):
            if b.first < a.first + a.count:
                raise ConfigError(f"{a.path.name} and {b.path.name} overlap "
                                  "(the same shard given twice?)", arg="paths")
        self._parts = parts
        self.paths = [p.path for p in parts]
        self._offsets = np.cumsum([0] + [p.count for p in parts])
        head = parts[0].file
        source = f"{parts[0].path.name}:config"
        self.scenario = parse_config(parse_yaml(head.attrs["config"], source), source=source)
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

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        """Grid ``index`` as {field: tensor} for each of
        :data:`~chanest.data.batch.TENSOR_FIELDS`: h [L, S, F], y [L, P] ([A, P] with
        users), the others scalars."""
        index = int(index)
        if not -len(self) <= index < len(self):
            raise IndexError(f"grid {index} of a dataset of {len(self)} grids")
        index %= len(self)
        grid = self.read(index, index + 1)
        return {name: getattr(grid, name)[0] for name in TENSOR_FIELDS}

    def __reduce__(self):
        return ChannelDataset, (self.paths,)

    def close(self) -> None:
        for p in self._parts:
            p.file.close()

    def __enter__(self) -> ChannelDataset:
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
                pieces.append(_read_rows(part, slice(lo, hi)))
        return Batch.cat(pieces)

    def take(self, indices) -> Batch:
        """Grids ``indices`` ([B] ints, any order, repeats allowed) as a CPU :class:`Batch`
        in that order; each file is read once, at its sorted distinct rows."""
        index = np.asarray(indices, dtype=np.int64).reshape(-1)
        if not len(index) or index.min() < 0 or index.max() >= len(self):
            raise IndexError(f"grids {index.tolist()[:8]} of a dataset of {len(self)} grids")
        rows, order = np.unique(index, return_inverse=True)  # rows sorted
        pieces = []
        for part, off in zip(self._parts, self._offsets):
            mine = rows[(rows >= off) & (rows < off + part.count)] - off
            if len(mine):
                pieces.append(_read_rows(part, mine))
        return Batch.cat(pieces)[torch.from_numpy(order)]

    def column(self, name: str) -> np.ndarray:
        """[N] one per-sample array (``no``, ``snr_db``, ``model``, …, or a stored
        ``params/<name>``) over all files."""
        stored = name.startswith("params/") and all(name in p.file for p in self._parts)
        if name not in PER_SAMPLE_FIELDS + ("model",) and not stored:
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

    def context(self) -> GridContext:
        """The :class:`~chanest.data.context.GridContext` of this dataset."""
        return context_from_dataset(self)

    @property
    def users(self):
        """The :class:`~chanest.grid.users.UserLayout` of a multi-user dataset, else None."""
        if not hasattr(self, "_users"):
            users = scenario_users(self.scenario)
            if users is not None and not (np.array_equal(users.mask, self.mask) and np.allclose(
                    users.pilots, self.pilots, atol=1e-6)):
                raise ConfigError(f"{self.paths[0]}: the stored pilots differ "
                                  "from the users' layout this chanest builds from its "
                                  "config (written by another version?)", arg="paths")
            self._users = users
        return self._users

    def user_view(self, user: int):
        """User ``user`` as a single-user dataset (:class:`~chanest.data.userview.UserView`)."""
        from chanest.data.userview import user_view

        return user_view(self, user)


def open_dataset(paths: str | Path | Sequence[str | Path]) -> ChannelDataset:
    """Open a dataset from a file, a glob, or a list of shard files."""
    return ChannelDataset(expand_paths(paths))
