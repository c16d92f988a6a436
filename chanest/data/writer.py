"""Dataset writer: streams simulator chunks into a journal, then assembles the HDF5 file.

``DatasetWriter(OUT, simulator, n).run()`` writes every seed chunk of the shard as
its own small HDF5 file in the journal folder ``OUT.partial/`` (written under a
temporary name, synced and renamed, so a chunk file is either whole or absent),
and when all are there assembles ``OUT`` (again through a temporary name) and
removes the journal. An interruption of any kind (Ctrl-C, SIGKILL, out of memory,
power loss) loses at most the chunks being written: the same command resumes from
the completed ones, and the result is bit-identical to an uninterrupted run. The
journal records the run's identity (``run.json``); a journal of another run is
refused. The file layout is in :mod:`chanest.data.dataset`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np
import torch

from chanest.data.batch import Batch
from chanest.data.scenario import Scenario
from chanest.fileio import atomic_write
from chanest.launch import shard_from_environment
from chanest.schema import ConfigError
from chanest.versions import versions

__all__ = ["SCHEMA", "SCHEMA_VERSION", "PER_SAMPLE_FIELDS", "ShardSpec", "parse_shard",
           "DatasetWriter"]

SCHEMA = "chanest-dataset"
SCHEMA_VERSION = 1
#: the per-grid datasets of a file besides h, y and model, one value per grid
PER_SAMPLE_FIELDS = ("no", "snr_db", "delay_spread", "doppler", "speed")
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
    """Parse ``i/n`` (0 <= i < n), or ``auto`` (this process's shard under torchrun or in a
    SLURM job array, :func:`chanest.launch.shard_from_environment`), into a
    :class:`ShardSpec`."""
    if text is None:
        return ShardSpec()
    if text.strip() == "auto":
        text = shard_from_environment()
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise ConfigError(f"expected i/n with integers 0 <= i < n, got {text!r}",
                          arg="shard") from None
    if not (n >= 1 and 0 <= i < n):
        raise ConfigError(f"expected i/n with integers 0 <= i < n, got {text!r}", arg="shard")
    return ShardSpec(i, n)


class DatasetWriter:
    """Writes one shard of a dataset from a simulator, resumably (module docstring).

    Usage::

        writer = DatasetWriter(out, simulator, num_samples, shard, batch_size)
        writer.run(progress=lambda done, total: ...)  # returns writer.path, the final file

    ``batch_size`` (grids per progress step, a multiple of the chunk size; default one
    chunk) changes memory use and progress granularity, never the data.
    """

    def __init__(self, out: str | Path, simulator, num_samples: int,
                 shard: ShardSpec = ShardSpec(), batch_size: int | None = None,
                 overwrite: bool = False):
        if num_samples < 1:
            raise ConfigError(f"must be >= 1, got {num_samples}", arg="num_samples")
        c = simulator.chunk_size
        batch_size = c if batch_size is None else batch_size
        if batch_size < 1 or batch_size % c:
            raise ConfigError("must be a positive multiple of the chunk size "
                              f"({c}), got {batch_size}", arg="batch_size")
        self.chunks_per_write = batch_size // c
        self.path = Path(out)
        self.partial = self.path.with_name(self.path.name + ".partial")  # journal folder
        self.sim = simulator
        self.num_samples_total = num_samples
        self.shard = shard
        num_chunks = simulator.num_chunks(num_samples)
        if shard.count > num_chunks:
            raise ConfigError(f"{shard.count} shards but the dataset has only "
                              f"{num_chunks} chunks of {simulator.chunk_size} grids", arg="shard")
        self.first_chunk, self.last_chunk = shard.chunk_range(num_chunks)
        self.first_sample = self.first_chunk * c
        self.num_samples = min(self.last_chunk * c, num_samples) - self.first_sample
        if self.path.suffix == ".partial":
            raise ConfigError("the name must not end in .partial", arg="out")
        if self.path.exists() and not overwrite:
            raise ConfigError(f"{self.path} exists; pass --overwrite to replace it", arg="out")

    # -- identity and layout -------------------------------------------------
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

    def _create(self, path: Path, num_paths: int, params: list[str]) -> h5py.File:
        """The final file's layout (datasets sized, metadata written), open for writing;
        ``num_paths`` paths per grid (0: none stored) and the models' own ``params``."""
        sim, sc = self.sim, self.sim.scenario
        n, L, A = self.num_samples, sim.num_links, sc.channel.num_rx_antennas
        S, F, P = sc.grid.num_symbols, sc.grid.num_subcarriers, len(sim.pilot_idx)
        f = h5py.File(path, "w")
        f.attrs.update(self._attrs())
        f.attrs.update({f"{k}_version": v for k, v in versions().items()})
        f.attrs["created"] = datetime.now(UTC).isoformat(timespec="seconds")
        f.attrs["complete"] = False
        rows = max(1, min(sim.chunk_size, _TARGET_CHUNK_BYTES // (L * S * F * 8)))
        f.create_dataset("h", (n, L, S, F), np.complex64, chunks=(min(rows, n), L, S, F))
        f.create_dataset("y", (n, A, P), np.complex64, chunks=(min(sim.chunk_size, n), A, P))
        for name in PER_SAMPLE_FIELDS:
            f.create_dataset(name, (n,), np.float32)
        f.create_dataset("model", (n,), np.int16)
        if num_paths:
            f.create_dataset("paths/gain", (n, num_paths, A), np.complex64,
                             chunks=(min(sim.chunk_size, n), num_paths, A))
            f.create_dataset("paths/doppler", (n, num_paths), np.float32)
            f.create_dataset("paths/delay", (n, num_paths), np.float32)
        for name in params:
            f.create_dataset(f"params/{name}", (n,), np.float32)
        positions, slant = sc.channel.receiver.positions(sc.grid.carrier_frequency)
        f.create_dataset("array/positions", data=positions)  # [A, 3] m
        f.create_dataset("array/slant", data=slant)  # [A] degrees
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
        return f

    # -- journal ---------------------------------------------------------------
    def _chunk_path(self, k: int) -> Path:
        return self.partial / f"chunk-{k:09d}.h5"

    def _open_journal(self) -> set[int]:
        """Create or check the journal; returns the chunks already written."""
        ident = json.loads(json.dumps(self._attrs()))
        run_json = self.partial / "run.json"
        if self.partial.exists() and not self.partial.is_dir():
            raise ConfigError(f"{self.partial} is not a chanest journal (a file); "
                              "delete it to start over", arg="out")
        if self.partial.is_dir() and run_json.is_file():
            try:
                stored = json.loads(run_json.read_text())
            except json.JSONDecodeError:
                stored = None
            mismatch = [k for k, v in ident.items() if not stored or stored.get(k) != v]
            if mismatch:
                raise ConfigError(f"{self.partial} is from a different run "
                                  f"({mismatch[0]} differs); delete it or choose another --out",
                                  arg="out")
        else:
            self.partial.mkdir(parents=True, exist_ok=True)
            with atomic_write(run_json) as f:
                f.write(json.dumps(ident))
        for stale in self.partial.glob("*.tmp"):
            stale.unlink()
        return {k for k in range(self.first_chunk, self.last_chunk)
                if self._chunk_path(k).is_file()}

    def _write_chunk(self, k: int, batch: Batch) -> None:
        lo = k * self.sim.chunk_size - self.first_sample
        hi = min(lo + self.sim.chunk_size, self.num_samples)
        b = batch[: hi - lo]
        with atomic_write(self._chunk_path(k), "path") as tmp, h5py.File(tmp, "w") as f:
            f["h"], f["y"] = b.h.numpy(), b.y.numpy()
            for name in PER_SAMPLE_FIELDS:
                f[name] = getattr(b, name).numpy()
            f["model"] = b.model.numpy().astype(np.int16)
            if b.paths is not None:
                for name in ("gain", "doppler", "delay"):
                    f[f"paths/{name}"] = getattr(b.paths, name).numpy()
            for name, value in b.params.items():
                f[f"params/{name}"] = value.numpy()

    def _assemble(self) -> None:
        """Journal → ``OUT`` (through a temporary file), then remove the journal."""
        num_paths, params = self._extras()
        with atomic_write(self.path, "path") as tmp, \
                self._create(tmp, num_paths, params) as out:
            for k in range(self.first_chunk, self.last_chunk):
                lo = k * self.sim.chunk_size - self.first_sample
                with h5py.File(self._chunk_path(k), "r") as f:
                    hi = lo + len(f["h"])
                    for name in ("h", "y", "model", *PER_SAMPLE_FIELDS):
                        out[name][lo:hi] = f[name][:]
                    self._copy_extras(f, out, lo, hi, params)
            out.attrs["complete"] = True
        shutil.rmtree(self.partial)

    def _extras(self) -> tuple[int, list[str]]:
        """(most paths of a grid, names of the models' own parameters) over the chunks."""
        num_paths, params = 0, set()
        for k in range(self.first_chunk, self.last_chunk):
            with h5py.File(self._chunk_path(k), "r") as f:
                if "paths" in f:
                    num_paths = max(num_paths, f["paths/gain"].shape[1])
                params |= set(f["params"]) if "params" in f else set()
        return num_paths, sorted(params)

    @staticmethod
    def _copy_extras(f: h5py.File, out: h5py.File, lo: int, hi: int, params: list[str]):
        """A chunk's paths (zero-padded to the file's width) and parameters (NaN where the
        chunk's models have none) into rows ``lo:hi`` of the final file."""
        if "paths" in f:
            k = f["paths/gain"].shape[1]
            out["paths/gain"][lo:hi, :k] = f["paths/gain"][:]
            out["paths/doppler"][lo:hi, :k] = f["paths/doppler"][:]
            out["paths/delay"][lo:hi, :k] = f["paths/delay"][:]
        for name in params:
            out[f"params/{name}"][lo:hi] = f[f"params/{name}"][:] \
                if f"params/{name}" in f else np.nan

    # -- main loop ----------------------------------------------------------
    def run(self, progress: Callable[[int, int], None] | None = None) -> Path:
        """Generate the missing chunks, then assemble the file; returns its path.

        ``progress(grids done, grids total)`` is called before the first progress step
        (with the grids a resumed journal already holds) and after each one.
        """
        report = progress or (lambda done, total: None)
        done = self._open_journal()
        todo = [k for k in range(self.first_chunk, self.last_chunk) if k not in done]
        report(self._grids_in(done), self.num_samples)
        for start in range(0, len(todo), self.chunks_per_write):
            for k in todo[start:start + self.chunks_per_write]:
                self._write_chunk(k, self.sim.chunk(k).to("cpu"))
                done.add(k)
            report(self._grids_in(done), self.num_samples)
        self._assemble()
        return self.path

    def _grids_in(self, chunks: set[int]) -> int:
        c = self.sim.chunk_size
        return int(sum(min((k + 1) * c - self.first_sample, self.num_samples)
                       - (k * c - self.first_sample) for k in chunks))
