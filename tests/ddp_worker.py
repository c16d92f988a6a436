"""Run under torchrun by the DDP tests (or called in one process): train (which ends the
process group), then record what this rank saw and its weights in
``<run>/rank<r>-of-<w>.json``: the sha256 of its weights, per training step and per
validation batch the identities of its grids, and the simulator chunks it simulated."""

import hashlib
import json
import sys
from pathlib import Path

import torch.distributed
import yaml

from chanest.models.io import unwrap as _unwrap
from chanest.training.experiment import parse_experiment
from chanest.training.loop import Trainer


def grid_ids(batch) -> list[str]:
    """One identity per grid of a batch: its channel energy and first pilot, to 9 digits."""
    energy = batch.h.abs().double().pow(2).flatten(1).sum(1)
    first = batch.y.flatten(1)[:, 0]
    return [f"{e:.9e}/{p.real:.9e}/{p.imag:.9e}" for e, p in zip(energy.tolist(),
                                                                first.tolist())]


def _record_chunks(source, into: list) -> None:
    sim = getattr(source, "sim", None)
    if sim is None:
        return
    chunk = sim.chunk

    def logged(k):
        into.append(k)
        return chunk(k)

    sim.chunk = logged


def record_run(config: dict) -> tuple[Trainer, dict]:
    """Train ``config`` on the CPU; (trainer, what it saw: ``train`` [step][grid id],
    ``val`` [batch][grid id], ``chunks`` {train, val: [k]}, ``sha256`` of the weights)."""
    trainer = Trainer(parse_experiment(config), device="cpu", progress=False)
    seen = {"train": [], "val": [], "chunks": {"train": [], "val": []}}
    loss = trainer._loss

    def recorded_loss(batch):
        seen["train"].append(grid_ids(batch))
        return loss(batch)

    trainer._loss = recorded_loss
    val_all = trainer.val_src.all

    def recorded_all(*args, **kwargs):
        for batch in val_all(*args, **kwargs):
            seen["val"].append(grid_ids(batch))
            yield batch

    trainer.val_src.all = recorded_all
    _record_chunks(trainer.train_src, seen["chunks"]["train"])
    _record_chunks(trainer.val_src, seen["chunks"]["val"])
    trainer.fit()
    digest = hashlib.sha256()
    for key, value in sorted(_unwrap(trainer.model).state_dict().items()):
        digest.update(key.encode() + value.detach().cpu().numpy().tobytes())
    seen["sha256"] = digest.hexdigest()
    return trainer, seen


def main(config: str) -> None:
    trainer, seen = record_run(yaml.safe_load(Path(config).read_text()))
    assert not torch.distributed.is_initialized(), "fit() left the process group behind"
    weights = {k: v.tolist() for k, v in _unwrap(trainer.model).state_dict().items()}
    out = trainer.run_dir / f"rank{trainer.dist.rank}-of-{trainer.dist.world}.json"
    out.write_text(json.dumps({**seen, "weights": weights}))


if __name__ == "__main__":
    main(sys.argv[1])
