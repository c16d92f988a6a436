"""Shared set-up of the training tests: a small scenario, a small experiment, weights."""

from __future__ import annotations

import torch

from chanest.models.io import unwrap
from chanest.training.experiment import parse_experiment

SCENARIO = {"chunk_size": 32, "channel": {"model": "pdp", "profile": "EPA", "speed_mps": [0, 10]},
            "noise": {"snr_db": [10, 20]}}


def experiment(tmp_path, scenario_file, **overrides):
    """A 4-epoch CENet experiment on ``scenario_file`` writing under ``tmp_path/runs``;
    ``overrides`` replace (or, for mappings, update) top-level sections."""
    data = {"name": "run", "out_dir": str(tmp_path / "runs"), "seed": 3,
            "model": {"name": "cenet", "kwargs": {"channels": 8, "blocks": 2}},
            "data": {"simulate": str(scenario_file), "samples_per_epoch": 128,
                     "val_samples": 64},
            "train": {"epochs": 4, "batch_size": 32, "patience": None}}
    for key, value in overrides.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    return parse_experiment(data)


def weights(trainer) -> dict[str, torch.Tensor]:
    """A copy of the trainer's model weights."""
    return {k: v.clone() for k, v in unwrap(trainer.model).state_dict().items()}
