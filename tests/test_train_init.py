"""``model.init``: a training starts from another checkpoint's weights (fine-tuning), and
a checkpoint that does not fit is one line naming the field."""

import pytest
import torch

from chanest.models.io import unwrap
from chanest.schema import ConfigError
from chanest.training.loop import Trainer
from tests.training_setup import experiment, weights


def _trained(tmp_path, scenario_file):
    run = Trainer(experiment(tmp_path, scenario_file, name="source", train={"epochs": 1}),
                  "cpu", progress=False)
    run.fit()
    return run, tmp_path / "runs" / "source"


def test_a_run_with_init_starts_from_the_checkpoint_weights_not_random_ones(
        tmp_path, scenario_file):
    source, folder = _trained(tmp_path, scenario_file)
    tuned = Trainer(experiment(tmp_path, scenario_file, name="tuned",
                               model={"init": str(folder)}), "cpu", progress=False)
    fresh = Trainer(experiment(tmp_path, scenario_file, name="fresh"), "cpu", progress=False)
    from chanest.models.checkpoint import load_checkpoint

    tensors, _ = load_checkpoint(folder / "best")
    start = weights(tuned)
    assert all(torch.equal(start[k], tensors[f"model.{k}"]) for k in start)
    assert any(not torch.equal(start[k], v) for k, v in weights(fresh).items())
    tuned.fit(max_epochs=1)
    assert any(not torch.equal(start[k], v) for k, v in
               unwrap(tuned.model).state_dict().items())


def test_init_from_a_checkpoint_of_other_kwargs_is_one_line_naming_model_init(
        tmp_path, scenario_file):
    _, folder = _trained(tmp_path, scenario_file)
    other = {"name": "cenet", "kwargs": {"channels": 16, "blocks": 2}, "init": str(folder)}
    with pytest.raises(ConfigError, match=r"^model\.init: .* holds model 'cenet' .*"
                       r"channels': 8.*this experiment builds 'cenet'"):
        Trainer(experiment(tmp_path, scenario_file, name="other", model=other), "cpu",
                progress=False)


def test_init_from_a_checkpoint_of_another_grid_is_one_line_naming_model_init(
        tmp_path, scenario_file):
    with pytest.raises(ConfigError, match=r"^model\.init: pretrained:cenet-nr-dmrs has "
                       r"another"):
        Trainer(experiment(tmp_path, scenario_file, name="grid", model={
            "name": "cenet", "kwargs": {"channels": 24, "blocks": 4, "base": "lmmse-adaptive",
                                        "base_options": {"top_k": 32}},
            "init": "pretrained:cenet-nr-dmrs"}), "cpu", progress=False)


@pytest.mark.parametrize("spec, what", [("pretrained:nope", "unknown pretrained model "
                                         "'nope'; shipped: "), ("missing/run", "no checkpoint")])
def test_an_unknown_init_is_one_line_naming_model_init(tmp_path, scenario_file, spec, what):
    with pytest.raises(ConfigError, match=rf"^model\.init: {what}"):
        Trainer(experiment(tmp_path, scenario_file, name="x", model={"init": spec}), "cpu",
                progress=False)


def test_a_resumed_fine_tuning_takes_last_and_no_longer_needs_the_init_checkpoint(
        tmp_path, scenario_file):
    import shutil

    _, folder = _trained(tmp_path, scenario_file)
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    model = {"init": str(copy)}
    first = Trainer(experiment(tmp_path, scenario_file, name="tuned", model=model), "cpu",
                    progress=False)
    first.fit(max_epochs=1)
    after = weights(first)
    shutil.rmtree(copy)
    resumed = Trainer(experiment(tmp_path, scenario_file, name="tuned", model=model), "cpu",
                      resume=True, progress=False)
    assert resumed.state.epoch == 1
    assert all(torch.equal(after[k], v) for k, v in weights(resumed).items())
