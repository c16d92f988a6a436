"""Model.activation_bytes against the memory a forward pass really takes (peak RSS).

Evaluation splits batches by it; an estimate far below the truth let an attention model
at 624×14 exhaust the machine's memory, one far above it makes evaluation crawl.
"""

import os

import numpy as np
import pytest
import torch

from chanest.models.registry import build_model, model_spec

CLEAR_REFS = "/proc/self/clear_refs"


def _status_bytes(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def _measured_peak_per_grid(model: torch.nn.Module, x: torch.Tensor) -> float:
    """Resident-memory peak of ``model(x)`` above what was resident before, per grid."""
    with torch.no_grad():
        model(x[:1])  # first-call allocations (thread pools, caches) out of the way
        with open(CLEAR_REFS, "w") as f:
            f.write("5")  # reset the peak (VmHWM) to the current resident size
        before = _status_bytes("VmRSS")
        model(x)
    return (_status_bytes("VmHWM") - before) / x.shape[0]


@pytest.mark.skipif(not os.access(CLEAR_REFS, os.W_OK), reason="peak RSS cannot be reset here")
@pytest.mark.parametrize("name", ["attention", "mtre"])
def test_attention_models_activation_bytes_cover_measured_peak_within_2x(name):
    """At 312x14 the estimate is at least the measured peak per grid and at most twice it,
    and it grows with the square of the tokens per sequence (F for attention)."""
    torch.manual_seed(0)
    S, F = 14, 312
    mask = np.zeros((S, F), bool)
    mask[[2, 11], ::4] = True
    model = build_model(name, **model_spec(name, {}, mask)["kwargs"]).eval()
    c_in = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d)).in_channels
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        peak = _measured_peak_per_grid(model, torch.randn(4, c_in, S, F))
    finally:
        torch.set_num_threads(threads)
    estimate = model.activation_bytes(S, F)
    assert peak <= estimate <= 2 * peak, (peak, estimate)
    if name == "attention":  # axial: S sequences of F tokens dominate
        assert model.activation_bytes(S, 2 * F) > 3.5 * model.activation_bytes(S, F)
