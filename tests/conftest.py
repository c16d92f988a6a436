"""Shared fixtures: fixed seeds, small scenarios, a CLI runner."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import yaml
from click.testing import CliRunner

from chanest.data.scenario import parse_config
from tests.training_setup import SCENARIO


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
