"""Training and validation data: an in-memory dataset or grids streamed from the simulator.

Both sources give every epoch a deterministic batch order that depends only on
(experiment seed, stage, epoch), never on the RNG state of the process, so a
resumed run sees the same batches as an uninterrupted one. Under DDP, batch i
of an epoch goes to rank ``i mod world``, and every rank runs the same number
of steps.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from chanest.data.batch import Batch
from chanest.data.context import check_compatible, context_from_simulator
from chanest.data.dataset import open_dataset
from chanest.data.scenario import load_config, parse_config
from chanest.data.userview import UserView, user_view
from chanest.schema import ConfigError, argument_named
from chanest.seeding import derive_seed

__all__ = ["DatasetSource", "SimulatorSource", "make_sources"]


def _snr_filter(batch: Batch, snrs: list[float] | None) -> Batch:
    if snrs is None:
        return batch
    keep = torch.zeros(len(batch), dtype=torch.bool)
    for s in snrs:
        keep |= torch.isclose(batch.snr_db, torch.tensor(float(s)), atol=1e-3)
    if not keep.any():
        raise ConfigError(f"data.snr_db: no grid of the dataset has SNR in {snrs}")
    return batch[keep]


class DatasetSource:
    """A dataset held in host memory, reshuffled every epoch."""

    def __init__(self, paths, device: str, snrs: list[float] | None = None, seed: int = 0,
                 memory_gb: float = 8.0, field: str = "data.train", user: int | None = None):
        self.seed = seed
        with argument_named("paths", field):
            opened = open_dataset(paths)
        with opened:
            ds = user_view(opened, user, arg="data.user")
            L, S, F = opened.read(0, 1).h.shape[1:]  # every user is read, then one kept
            need = len(ds) * L * S * F * 8
            if need > memory_gb * 2**30:
                raise ConfigError(f"{field}: {len(ds)} grids need {need / 2**30:.1f} GB, "
                                  f"over data.memory_gb = {memory_gb:g}; raise it or stream "
                                  "fresh grids from the simulator (data.simulate)")
            self.ctx, self.scenario = ds.context(), ds.scenario
            self.data = _snr_filter(ds.read(), snrs)
        self.device = device

    def __len__(self) -> int:
        return len(self.data)

    def batches(self, epoch_index: int, batch_size: int, rank: int = 0,
                world: int = 1) -> Iterator[Batch]:
        """This rank's batches of epoch ``epoch_index``, shuffled by (seed, epoch) (drops the
        last partial batch)."""
        gen = torch.Generator().manual_seed(derive_seed(self.seed, "order", epoch_index))
        perm = torch.randperm(len(self.data), generator=gen)
        per_rank = (len(self.data) // batch_size) // world
        for i in range(per_rank):
            j = i * world + rank
            yield self.data[perm[j * batch_size:(j + 1) * batch_size]].to(self.device)

    def all(self, batch_size: int, rank: int = 0, world: int = 1) -> Iterator[Batch]:
        """Every sample once, in order, split over ranks (for validation)."""
        n = len(self.data)
        for lo in range(rank * batch_size, n, world * batch_size):
            yield self.data[lo:lo + batch_size].to(self.device)


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
        """This rank's batches of epoch ``epoch_index``; grids never repeat across epochs.

        Batch i covers grids [base + i·bs, base + (i+1)·bs) of the stream, with
        base = epoch_index · samples_per_epoch; rank r takes the i ≡ r (mod world).
        """
        per_rank = (self.samples // batch_size) // world
        base = epoch_index * self.samples
        for i in range(per_rank):
            yield self.sim.generate(batch_size, base + (i * world + rank) * batch_size,
                                   chunk=self._chunk)

    def all(self, batch_size: int, rank: int = 0, world: int = 1) -> Iterator[Batch]:
        """The fixed set of ``samples`` grids (chunks 0…), split over ranks."""
        if not hasattr(self, "_fixed"):
            self._fixed = self.sim.generate(self.samples, chunk=self._chunk)
        data = self._fixed
        for lo in range(rank * batch_size, len(data), world * batch_size):
            yield data[lo:lo + batch_size]


def make_sources(exp, device: str):
    """(train source, validation source) for an :class:`~chanest.training.experiment.Experiment`."""
    d = exp.data
    if d.train is not None:
        train = DatasetSource(d.train, device, d.snr_db, seed=exp.seed, memory_gb=d.memory_gb,
                              user=d.user)
        val = DatasetSource(d.val, device, d.snr_db, memory_gb=d.memory_gb, field="data.val",
                            user=d.user)
    else:
        train = SimulatorSource(d.simulate, exp.seed, "train", d.samples_per_epoch, device,
                                d.snr_db, user=d.user)
        if d.val is not None:
            val = DatasetSource(d.val, device, d.snr_db, memory_gb=d.memory_gb,
                                field="data.val", user=d.user)
        else:
            val = SimulatorSource(d.simulate, exp.seed, "val", d.val_samples, device, d.snr_db,
                                  user=d.user)
    check_compatible(val.ctx, train.ctx, ("the validation grids", "the training grids"),
                     arg="data.val", fields=("mask", "pilots"))
    return train, val
