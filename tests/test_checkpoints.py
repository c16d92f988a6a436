"""Trained checkpoints: the best one loads as an estimator; tampered, foreign, mismatched
or half-written checkpoints are refused or fall back to the previous complete save."""

import json

import pytest
import torch

from chanest.data.context import context_from_simulator
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.estimators.base import observe
from chanest.estimators.checkpointed import load_neural_estimator
from chanest.models.checkpoint import load_checkpoint, save_checkpoint
from chanest.schema import ConfigError
from chanest.training.loop import Trainer
from tests.training_setup import SCENARIO, experiment


def test_best_checkpoint_is_an_estimator_and_damaged_foreign_or_mismatched_ones_are_refused(
        tmp_path, scenario_file):
    exp = experiment(tmp_path, scenario_file, train={"epochs": 1})
    Trainer(exp, "cpu", progress=False).fit()
    stem = tmp_path / "runs" / "run" / "best"
    sim = Simulator(parse_config(SCENARIO))
    est = load_neural_estimator(str(stem), context_from_simulator(sim))
    batch = sim.generate(8)
    out = est.estimate(observe(batch))
    assert out.h_hat.shape == batch.h.shape and out.h_hat.dtype == torch.complex64
    assert torch.isfinite(out.err_var).all() and (out.err_var > 0).all()

    # a flipped byte in the weights is detected
    weights_file = stem.with_suffix(".safetensors")
    blob = bytearray(weights_file.read_bytes())
    blob[-5] ^= 0xFF
    tampered = tmp_path / "tampered"
    tampered.with_suffix(".safetensors").write_bytes(bytes(blob))
    tampered.with_suffix(".json").write_text(stem.with_suffix(".json").read_text())
    with pytest.raises(ConfigError, match="does not match the hash"):
        load_checkpoint(tampered)
    # a foreign safetensors/JSON pair is refused
    save_checkpoint(tmp_path / "foreign", {"x": torch.zeros(3)}, {})
    meta = json.loads((tmp_path / "foreign.json").read_text())
    meta["format"] = "someone-else"
    (tmp_path / "foreign.json").write_text(json.dumps(meta))
    with pytest.raises(ConfigError, match="not a chanest checkpoint"):
        load_checkpoint(tmp_path / "foreign")
    # a valid checkpoint whose tensors are not this model's weights
    save_checkpoint(tmp_path / "wrong", {"model.x": torch.zeros(3)},
                    {"model": {"name": "cenet", "kwargs": {}}, "mask": sim.mask.tolist()})
    with pytest.raises(ConfigError, match="weights do not fit"):
        load_neural_estimator(str(tmp_path / "wrong"), context_from_simulator(sim))
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "broken.safetensors").write_bytes(b"x")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_checkpoint(tmp_path / "broken")
    # a different pilot mask
    other = Simulator(parse_config({**SCENARIO, "pilots": {"pattern": "channelnet-16"}}))
    with pytest.raises(ConfigError, match=r"another pilot layout \(48 pilots on \[14, 72\], "
                       r"scenario .*scenario.yaml\) than the data \(16 pilots"):
        load_neural_estimator(str(stem), context_from_simulator(other))


def test_checkpoint_killed_between_its_two_renames_falls_back_to_the_previous_save(tmp_path):
    """save_checkpoint keeps the previous pair; a save interrupted after replacing the
    weights but not the metadata loads the previous pair, while a corrupted file whose
    metadata is not the previous save's is still refused."""
    import os

    stem = tmp_path / "last"
    save_checkpoint(stem, {"w": torch.zeros(3)}, {"epoch": 1})
    save_checkpoint(stem, {"w": torch.ones(3)}, {"epoch": 2})
    tensors, meta = load_checkpoint(stem)
    assert meta["epoch"] == 2 and torch.equal(tensors["w"], torch.ones(3))
    # a third save dies between the renames: new weights, metadata of save 2
    save_checkpoint(tmp_path / "scratch", {"w": torch.full((3,), 3.0)}, {"epoch": 3})
    os.replace(tmp_path / "last.safetensors", tmp_path / "keep.safetensors")
    os.link(tmp_path / "keep.safetensors", tmp_path / "last.prev.safetensors.tmp")
    os.replace(tmp_path / "last.prev.safetensors.tmp", tmp_path / "last.prev.safetensors")
    os.link(tmp_path / "last.json", tmp_path / "last.prev.json.tmp")
    os.replace(tmp_path / "last.prev.json.tmp", tmp_path / "last.prev.json")
    os.replace(tmp_path / "scratch.safetensors", tmp_path / "last.safetensors")
    tensors, meta = load_checkpoint(stem)
    assert meta["epoch"] == 2 and torch.equal(tensors["w"], torch.ones(3))
    # a corrupted pair that is not an interrupted save is refused
    other = tmp_path / "best"
    save_checkpoint(other, {"w": torch.zeros(3)}, {"epoch": 1})
    save_checkpoint(other, {"w": torch.ones(3)}, {"epoch": 2})
    data = bytearray((tmp_path / "best.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (tmp_path / "best.safetensors").write_bytes(bytes(data))
    with pytest.raises(ConfigError, match="does not match the hash"):
        load_checkpoint(other)
