"""Stored datasets read lazily through a torch ``DataLoader``, each rank its own batches.

:class:`GridReader` is the ``Dataset``: it reads a whole batch of grids from the files
at once (``__getitems__``), opening them on first use in each process, so every
``DataLoader`` worker reads through its own file handles. :class:`RankBatches` is the
batch sampler: the grid indices of this rank's batches of one epoch, either shuffled by
(seed, epoch) or in dataset order; under DDP batch ``j`` of an epoch goes to rank
``j mod world``, so the ranks' batches are disjoint and together are the batches one
process with a ``world`` times larger batch reads. :func:`grid_loader` puts the two in
a ``DataLoader`` (worker processes that live across epochs, pinned memory for a GPU).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from chanest.data.batch import Batch
from chanest.data.dataset import ChannelDataset
from chanest.data.userview import user_view
from chanest.seeding import derive_seed

__all__ = ["GridReader", "RankBatches", "grid_loader"]


class GridReader(Dataset):
    """The grids of dataset files (one user's view with ``user``), read on demand.

    ``reader.__getitems__(indices)`` is a CPU :class:`Batch` of those grids, in that order;
    ``reader[i]`` one grid's batch. Pickles as its file list (a worker reopens them).
    """

    def __init__(self, paths: Sequence[Path], num_grids: int, user: int | None = None):
        self.paths, self.num_grids, self.user = list(paths), num_grids, user
        self._data, self._pid = None, None

    def __len__(self) -> int:
        return self.num_grids

    def _open(self):
        if self._pid != os.getpid():  # first use in this process (a worker after fork)
            self._data = user_view(ChannelDataset(self.paths), self.user, arg="data.user")
            self._pid = os.getpid()
        return self._data

    def __getitems__(self, indices) -> Batch:
        return self._open().take(indices)

    def __getitem__(self, index: int) -> Batch:
        return self.__getitems__([index])

    def __getstate__(self) -> dict:
        return {"paths": self.paths, "num_grids": self.num_grids, "user": self.user,
                "_data": None, "_pid": None}

    def close(self) -> None:
        if self._data is not None and self._pid == os.getpid():
            self._data.close()
        self._data, self._pid = None, None


class RankBatches(Sampler):
    """This rank's batches of grid indices (a ``DataLoader`` batch sampler).

    Args:
        index: [n] the dataset indices of the grids to use.  batch_size: grids per batch.
        rank, world: this rank and the number of ranks.
        seed: shuffle every epoch by (seed, epoch) and drop the last partial batch, every
            rank running the same number of batches; None: dataset order, every grid once
            (the last batch may be short; ranks may hold one batch more than others, or none).
    """

    def __init__(self, index: np.ndarray, batch_size: int, rank: int = 0, world: int = 1,
                 seed: int | None = None):
        self.index, self.batch_size = np.asarray(index, dtype=np.int64), batch_size
        self.rank, self.world, self.seed = rank, world, seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        n, bs = len(self.index), self.batch_size
        if self.seed is not None:
            return (n // bs) // self.world
        return len(range(self.rank * bs, n, self.world * bs))

    def __iter__(self):
        bs, n = self.batch_size, len(self.index)
        if self.seed is None:
            for lo in range(self.rank * bs, n, self.world * bs):
                yield self.index[lo:lo + bs]
            return
        gen = torch.Generator().manual_seed(derive_seed(self.seed, "order", self.epoch))
        perm = torch.randperm(n, generator=gen).numpy()
        for i in range(len(self)):
            j = i * self.world + self.rank
            yield self.index[perm[j * bs:(j + 1) * bs]]


def _whole(batch: Batch) -> Batch:
    """The DataLoader's collate step: a reader batch is already whole."""
    return batch


def grid_loader(reader: GridReader, sampler: RankBatches, workers: int,
                device: str) -> DataLoader:
    """A ``DataLoader`` of ``reader``'s batches in ``sampler``'s order; ``workers``
    processes (0: read in this process) that live across epochs; pinned host memory when
    the batches go to a GPU."""
    return DataLoader(reader, batch_sampler=sampler, collate_fn=_whole, num_workers=workers,
                      pin_memory=device.startswith("cuda"), persistent_workers=workers > 0,
                      prefetch_factor=2 if workers > 0 else None)
