"""Shared fixtures: fixed seeds, small scenarios, a CLI runner."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
import yaml
from click.testing import CliRunner

from chanest.data.scenario import parse_config
from tests.training_setup import SCENARIO


def pytest_collection_modifyitems(config, items):
    """Tests marked ``cuda`` are skipped where no CUDA GPU is present."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fixed_seeds():
    """Tests never depend on global RNG state left by another test."""
    torch.manual_seed(1234)
    np.random.seed(1234)


@pytest.fixture
def scenario():
    """Factory: ``scenario(**overrides)`` -> a validated Scenario with small chunks."""

    def make(**overrides):
        data = {"chunk_size": 32}
        data.update(overrides)
        return parse_config(data)

    return make


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def scenario_file(tmp_path):
    """The training tests' small scenario (:data:`tests.training_setup.SCENARIO`) as YAML."""
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(SCENARIO))
    return path


@pytest.fixture
def torch_flags():
    """Deterministic-algorithm, cuDNN and cuBLAS settings restored after the test
    (``train.deterministic`` changes them for the whole process)."""
    cudnn = torch.backends.cudnn
    saved = (torch.are_deterministic_algorithms_enabled(),
             torch.is_deterministic_algorithms_warn_only_enabled(), cudnn.deterministic,
             cudnn.benchmark, os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None))
    yield
    torch.use_deterministic_algorithms(saved[0], warn_only=saved[1])
    cudnn.deterministic, cudnn.benchmark = saved[2], saved[3]
    os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)
    if saved[4] is not None:
        os.environ["CUBLAS_WORKSPACE_CONFIG"] = saved[4]
