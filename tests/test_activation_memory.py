"""Model.activation_bytes against the memory a forward pass really takes (peak RSS).

Evaluation splits batches by it: an estimate far below the truth let an attention model
at 624×14 exhaust the machine's memory, one far above it makes evaluation crawl.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def measured():
    """Peak per grid, estimate, estimate at twice F for the attention models at 312x14,
    measured in a process of their own (see tests/activation_peak.py)."""
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, str(REPO / "tests" / "activation_peak.py"), "312",
                          "attention", "mtre"], env=env, cwd=REPO, capture_output=True,
                         text=True, check=True, timeout=300)
    return json.loads(out.stdout)


@pytest.mark.skipif(not os.access("/proc/self/clear_refs", os.W_OK),
                    reason="peak RSS cannot be reset here")
@pytest.mark.parametrize("name", ["attention", "mtre"])
def test_attention_models_activation_bytes_cover_measured_peak_within_2x(name, measured):
    """At 312x14 the estimate is at least the measured peak per grid and at most twice it;
    the axial model's grows with the square of the tokens per sequence (F)."""
    peak, estimate, doubled = measured[name]
    assert peak <= estimate <= 2 * peak, (peak, estimate)
    if name == "attention":
        assert doubled > 3.5 * estimate
