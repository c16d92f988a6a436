"""Training data from a stored dataset: the DataLoader against the whole set in memory.

* in memory: the dataset read whole (``ChannelDataset.read()``), then every epoch the
  shuffled batches indexed out of it: how training read stored data before the DataLoader;
* DataLoader: :class:`chanest.training.data.DatasetSource` (shuffled batches read from the
  file through ``data.workers`` reader processes, nothing held but the batches in flight).

Both give the same batches in the same order; the table gives grids/s over one shuffled
epoch (median of ``--reps`` epochs), the time to the first batch (the in-memory path
reads everything first) and the host memory holding data.
Run: ``python benchmarks/bench_loader.py [--grids 16384] [--batch 256] [--reps 3]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from chanest.data.dataset import DatasetWriter, open_dataset
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.seeding import derive_seed
from chanest.training.data import DatasetSource


def in_memory_epochs(path: Path, batch: int, reps: int) -> tuple[float, float, float]:
    """(grids/s, seconds to the first batch, GiB held) of the in-memory path."""
    start = time.perf_counter()
    with open_dataset(path) as ds:
        data = ds.read()
    first = time.perf_counter() - start
    rates = []
    for epoch in range(reps):
        gen = torch.Generator().manual_seed(derive_seed(0, "order", epoch))
        perm = torch.randperm(len(data), generator=gen)
        start = time.perf_counter()
        for j in range(len(data) // batch):
            data[perm[j * batch:(j + 1) * batch]]
        rates.append(len(data) // batch * batch / (time.perf_counter() - start))
    held = sum(getattr(data, k).numel() * getattr(data, k).element_size() for k in ("h", "y"))
    return statistics.median(rates), first, held / 2**30


def loader_epochs(path: Path, batch: int, reps: int, workers: int) -> tuple[float, float]:
    """(grids/s, seconds to the first batch) of the DataLoader with ``workers`` readers."""
    source = DatasetSource(str(path), "cpu", workers=workers)
    start = time.perf_counter()
    first = None
    rates = []
    for epoch in range(reps):
        count, t0 = 0, time.perf_counter()
        for b in source.batches(epoch, batch):
            if first is None:
                first = time.perf_counter() - start
            count += len(b)
        rates.append(count / (time.perf_counter() - t0))
    source.close()
    return statistics.median(rates), first


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--grids", type=int, default=16384)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--workers", default="0,1,2")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.h5"
        DatasetWriter(path, Simulator(parse_config({})), args.grids,
                      batch_size=16 * 256).run()
        mb = path.stat().st_size / 2**20
        print(f"{args.grids} grids of 72x14 ({mb:.0f} MiB), batch {args.batch}, "
              f"torch threads {torch.get_num_threads()}\n")
        print("| path | grids/s (epoch) | first batch [s] | data held in memory |")
        print("|---|---:|---:|---|")
        rate, first, held = in_memory_epochs(path, args.batch, args.reps)
        print(f"| in memory (read whole) | {rate:,.0f} | {first:.2f} | {held:.2f} GiB |")
        for workers in (int(w) for w in args.workers.split(",")):
            rate, first = loader_epochs(path, args.batch, args.reps, workers)
            print(f"| DataLoader, {workers} reader process{'es' * (workers != 1)} | "
                  f"{rate:,.0f} | {first:.2f} | the batches in flight |")


if __name__ == "__main__":
    main()
