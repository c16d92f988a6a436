"""``train.deterministic``: the trainer applies PyTorch's deterministic algorithms, the cuDNN
flags and the cuBLAS workspace setting (process-wide), and leaves them alone without it."""

import os

import torch

from chanest.training.determinism import CUBLAS_WORKSPACE
from chanest.training.loop import Trainer
from tests.training_setup import experiment


def test_deterministic_training_sets_torch_cudnn_and_cublas(tmp_path, scenario_file,
                                                            torch_flags):
    torch.backends.cudnn.benchmark = True
    Trainer(experiment(tmp_path, scenario_file, train={"deterministic": True}), "cpu",
            progress=False)
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == CUBLAS_WORKSPACE


def test_training_without_the_option_leaves_the_flags_alone(tmp_path, scenario_file,
                                                            torch_flags):
    torch.use_deterministic_algorithms(False)
    torch.backends.cudnn.benchmark = True
    Trainer(experiment(tmp_path, scenario_file), "cpu", progress=False)
    assert not torch.are_deterministic_algorithms_enabled()
    assert torch.backends.cudnn.benchmark and "CUBLAS_WORKSPACE_CONFIG" not in os.environ
