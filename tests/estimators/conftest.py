"""Estimator test data: simulated batches in memory, cached per scenario."""

from __future__ import annotations

import json

import pytest
import torch

from chanest.data.context import context_from_simulator
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator

_CACHE: dict[str, tuple] = {}


def simulate(num: int, **overrides):
    """(GridContext, Batch) of ``num`` grids of a scenario (cached per arguments)."""
    key = json.dumps([num, overrides], sort_keys=True)
    if key not in _CACHE:
        sim = Simulator(parse_config({"chunk_size": 256, **overrides}))
        _CACHE[key] = (context_from_simulator(sim), sim.generate(num))
    return _CACHE[key]


@pytest.fixture
def sim_data():
    """Factory ``sim_data(num, **scenario_overrides) -> (ctx, batch)``."""
    return simulate


@pytest.fixture(autouse=True, scope="session")
def _single_thread():
    """Run estimator tests single-threaded.

    The tests apply many small tensor ops (Sionna's per-example filters above all).
    With two OpenMP threads on a 2-core machine that is also busy with other work,
    the thread barriers dominate: Sionna's estimator took 7.4 s for 32 grids with two
    threads and 0.23 s with one (measured on the CI-sized VM). Results do not depend
    on the thread count.
    """
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)
