"""Run as a script: the measured peak of a model's forward pass per grid and its
``activation_bytes``, as JSON ``{name: [peak, estimate, estimate at twice F]}``.

Run with ``MALLOC_MMAP_THRESHOLD_`` set low, so that glibc maps every tensor of its own
and unmaps it when freed: the resident size then follows the live tensors, and its peak
(``VmHWM``, reset through ``/proc/self/clear_refs``) is the forward pass's peak.
"""

import json
import sys

import numpy as np
import torch

from chanest.models.registry import build_model, model_spec


def _status_bytes(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def measure(name: str, S: int, F: int, grids: int) -> list[float]:
    mask = np.zeros((S, F), bool)
    mask[[2, 11], ::4] = True
    model = build_model(name, **model_spec(name, {}, mask)["kwargs"]).eval()
    c_in = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d)).in_channels
    x = torch.randn(grids, c_in, S, F)
    with torch.no_grad():
        model(x[:1])  # first-call allocations (thread pools, caches) out of the way
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the peak to the current resident size
        before = _status_bytes("VmRSS")
        model(x)
        peak = (_status_bytes("VmHWM") - before) / grids
    return [peak, model.activation_bytes(S, F), model.activation_bytes(S, 2 * F)]


if __name__ == "__main__":
    torch.manual_seed(0)
    torch.set_num_threads(1)
    S, F, grids = 14, int(sys.argv[1]), 4
    print(json.dumps({name: measure(name, S, F, grids) for name in sys.argv[2:]}))
