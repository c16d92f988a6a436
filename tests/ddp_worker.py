"""Run under torchrun by tests/test_train_loop.py: train (which ends the process group), then
record this rank's weights."""

import hashlib
import sys
from pathlib import Path

import torch.distributed
import yaml

from chanest.models.io import unwrap as _unwrap
from chanest.training.experiment import parse_experiment
from chanest.training.loop import Trainer


def main(config: str) -> None:
    trainer = Trainer(parse_experiment(yaml.safe_load(Path(config).read_text())),
                      device="cpu", progress=False)
    trainer.fit()
    assert not torch.distributed.is_initialized(), "fit() left the process group behind"
    digest = hashlib.sha256()
    for key, value in sorted(_unwrap(trainer.model).state_dict().items()):
        digest.update(key.encode() + value.detach().cpu().numpy().tobytes())
    out = trainer.run_dir / f"rank{trainer.dist.rank}-of-{trainer.dist.world}.sha256"
    out.write_text(digest.hexdigest())


if __name__ == "__main__":
    main(sys.argv[1])
