"""Training and validation data: a stored dataset or grids streamed from the simulator.

Both sources give every epoch a deterministic batch order that depends only on
(experiment seed, stage, epoch), never on the RNG state of the process, so a
resumed run sees the same batches as an uninterrupted one; under DDP every rank
runs the same number of training steps and reads or simulates only its own grids:

* a stored dataset is read lazily through a ``DataLoader`` (:mod:`chanest.training.loader`,
  ``data.workers`` reader processes; by default 2 on a GPU, where reading overlaps the
  GPU's work, and none on a CPU, where reading in the training process is fastest):
  batch ``j`` of an epoch's shuffled order goes to rank ``j mod world``, so a run on W
  ranks with batch b reads, step by step, the grids one process with batch W·b reads;
  validation batches are split the same way, in order;
* the simulator's chunks are dealt out: rank r simulates chunks r, r + W, r + 2W, … only
  (its own stream; one process simulates every chunk), and of the validation set's
  chunks likewise, so the ranks' validation grids together are one process's.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from chanest.data.batch import Batch
from chanest.data.context import check_compatible, context_from_simulator
from chanest.data.dataset import open_dataset
from chanest.data.scenario import load_config, parse_config
from chanest.data.userview import UserView, user_view
from chanest.schema import ConfigError, argument_named
from chanest.seeding import derive_seed
from chanest.training.loader import GridReader, RankBatches, grid_loader

__all__ = ["DatasetSource", "SimulatorSource", "make_sources"]


def steps_per_epoch(samples: int, batch_size: int, world: int) -> int:
    """Training steps every rank runs per epoch (the last partial global batch is dropped)."""
    return (samples // batch_size) // world


def _snr_index(snr_db: np.ndarray, snrs: list[float] | None) -> np.ndarray:
    """[n] indices of the grids whose SNR [dB] is one of ``snrs`` (all without a list)."""
    if snrs is None:
        return np.arange(len(snr_db))
    snr = torch.from_numpy(snr_db)
    keep = torch.zeros(len(snr), dtype=torch.bool)
    for s in snrs:
        keep |= torch.isclose(snr, torch.tensor(float(s)), atol=1e-3)
    if not keep.any():
        raise ConfigError(f"data.snr_db: no grid of the dataset has SNR in {snrs}")
    return torch.nonzero(keep).squeeze(1).numpy()


class DatasetSource:
    """A stored dataset, read batch by batch and reshuffled every epoch (never held whole)."""

    def __init__(self, paths, device: str, snrs: list[float] | None = None, seed: int = 0,
                 field: str = "data.train", user: int | None = None, workers: int = 0):
        self.seed, self.device, self.workers = seed, device, workers
        with argument_named("paths", field):
            opened = open_dataset(paths)
        with opened:
            ds = user_view(opened, user, arg="data.user")
            self.ctx, self.scenario = ds.context(), ds.scenario
            self.index = _snr_index(opened.column("snr_db"), snrs)
            self.reader = GridReader(opened.paths, len(opened), user)
        self._loaders: dict = {}

    def __len__(self) -> int:
        return len(self.index)

    def _loader(self, batch_size: int, rank: int, world: int, shuffle: bool):
        key = (batch_size, rank, world, shuffle)
        if key not in self._loaders:
            order = RankBatches(self.index, batch_size, rank, world,
                                self.seed if shuffle else None)
            self._loaders[key] = grid_loader(self.reader, order, self.workers, self.device)
        return self._loaders[key]

    def batches(self, epoch_index: int, batch_size: int, rank: int = 0,
                world: int = 1) -> Iterator[Batch]:
        """This rank's batches of epoch ``epoch_index``, shuffled by (seed, epoch) (drops the
        last partial batch)."""
        loader = self._loader(batch_size, rank, world, shuffle=True)
        loader.batch_sampler.set_epoch(epoch_index)
        for batch in loader:
            yield batch.to(self.device)

    def all(self, batch_size: int, rank: int = 0, world: int = 1) -> Iterator[Batch]:
        """Every grid once, in order, split over ranks (for validation)."""
        for batch in self._loader(batch_size, rank, world, shuffle=False):
            yield batch.to(self.device)

    def close(self) -> None:
        """Stop the reader processes and close the files (reopened when read again)."""
        self._loaders.clear()
        self.reader.close()


class SimulatorSource:
    """Fresh grids every epoch from a scenario, with a seed derived for ``purpose``."""

    def __init__(self, scenario_path: str, seed: int, purpose: str, samples: int, device: str,
                 snrs: list[float] | None = None, user: int | None = None):
        from chanest.data.simulate import Simulator

        base = load_config(scenario_path).to_dict()
        base["seed"] = derive_seed(seed, purpose)
        if snrs is not None:
            base["noise"] = {"snr_db": list(snrs)}
        self.scenario = parse_config(base, source=f"{scenario_path} ({purpose})")
        self.sim = Simulator(self.scenario, device=device)
        view = user_view(self.sim, user, arg="data.user")
        self._view = view.view if isinstance(view, UserView) else (lambda batch: batch)
        self.ctx = context_from_simulator(self.sim)
        self.ctx = self.ctx if user is None else self.ctx.for_user(user)
        self.samples = samples
        self._cache: dict[int, Batch] = {}
        self._fixed: dict[tuple[int, int], Batch | None] = {}

    def __len__(self) -> int:
        return self.samples

    def _chunk(self, k: int) -> Batch:
        if k not in self._cache:
            if len(self._cache) >= 2:
                self._cache.pop(next(iter(self._cache)))
            self._cache[k] = self._view(self.sim.chunk(k))
        return self._cache[k]

    def batches(self, epoch_index: int, batch_size: int, rank: int = 0,
                world: int = 1) -> Iterator[Batch]:
        """This rank's batches of epoch ``epoch_index``; grids never repeat across epochs
        or ranks.

        Rank r's stream is the simulator's chunks r, r + W, r + 2W, … (W = world; one
        process: every chunk); epoch e covers its grids [e·m, e·m + steps·bs) with
        m = ⌈samples / W⌉, in batches of ``batch_size``.
        """
        steps = steps_per_epoch(self.samples, batch_size, world)
        base = epoch_index * -(-self.samples // world)

        def chunk(k: int) -> Batch:  # chunk k of this rank's stream
            return self._chunk(k * world + rank)

        for i in range(steps):
            yield self.sim.generate(batch_size, base + i * batch_size, chunk=chunk)

    def all(self, batch_size: int, rank: int = 0, world: int = 1) -> Iterator[Batch]:
        """This rank's part of the fixed set of ``samples`` grids (chunks 0…): its chunks
        r, r + W, …, in batches of ``batch_size`` (none when it has no chunk)."""
        if (rank, world) not in self._fixed:
            size = self.sim.chunk_size
            mine = [self._view(self.sim.chunk(k))[:self.samples - k * size]
                    for k in range(rank, self.sim.num_chunks(self.samples), world)]
            self._fixed[(rank, world)] = Batch.cat(mine) if mine else None
        data = self._fixed[(rank, world)]
        for lo in range(0, 0 if data is None else len(data), batch_size):
            yield data[lo:lo + batch_size]

    def close(self) -> None:
        """Drop the cached chunks."""
        self._cache.clear()


def make_sources(exp, device: str):
    """(train source, validation source) for an :class:`~chanest.training.experiment.Experiment`."""
    d = exp.data
    workers = d.workers if d.workers is not None else (2 if device.startswith("cuda") else 0)
    if d.train is not None:
        train = DatasetSource(d.train, device, d.snr_db, seed=exp.seed, user=d.user,
                              workers=workers)
        val = DatasetSource(d.val, device, d.snr_db, field="data.val", user=d.user,
                            workers=workers)
    else:
        train = SimulatorSource(d.simulate, exp.seed, "train", d.samples_per_epoch, device,
                                d.snr_db, user=d.user)
        if d.val is not None:
            val = DatasetSource(d.val, device, d.snr_db, field="data.val", user=d.user,
                                workers=workers)
        else:
            val = SimulatorSource(d.simulate, exp.seed, "val", d.val_samples, device, d.snr_db,
                                  user=d.user)
    check_compatible(val.ctx, train.ctx, ("the validation grids", "the training grids"),
                     arg="data.val", fields=("mask", "pilots"))
    return train, val
