"""Complexity of estimators: parameters, counted multiply-accumulates, latency, throughput.

MACs are *counted*, not estimated: :class:`MacCounter` intercepts every aten
matrix product, batched product, convolution, FFT, factorization and solver that an
``estimate`` call executes and adds its real multiply-accumulates (a complex MAC is 4
real ones; a length-n FFT is counted as 2·n·log2(n) real MACs, radix-2; Cholesky,
triangular solves, LU, QR, eigh and SVD by their standard operation counts,
:mod:`chanest.evaluation.linalg_macs`). Elementwise work (normalisation, activations,
softmax) is not counted; a linear-algebra op without a rule is listed in
``MacCounter.uncounted``. The count is taken on a
second call, so one-time work (building and caching filters) is excluded, and it is
divided by the batch size: the steady-state cost per grid of chanest's
implementation, e.g. a dense W·z for interpolators whose W is sparse.

Latency is the median wall time of ``estimate`` on one grid; throughput is grids
per second at a large batch, both after a warm-up, on the current device and
thread count.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, fields

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from chanest.estimators.base import Observation
from chanest.evaluation.linalg_macs import is_linalg, linalg_macs
from chanest.models import count_parameters

__all__ = ["MacCounter", "ComplexityRow", "count_macs", "measure", "COLUMNS"]

_aten = torch.ops.aten


def _factor(t: torch.Tensor) -> int:
    return 4 if t.is_complex() else 1


def _mm(args) -> int:  # [.., M, K] @ [.., K, N]
    a, b = args[0], args[1]
    batch = math.prod(a.shape[:-2]) if a.dim() > 2 else 1
    return batch * a.shape[-2] * a.shape[-1] * b.shape[-1] * _factor(a)


def _fft(args) -> int:
    """Radix-2 count: (n/2)·log2(n) complex multiplies = 2·n·log2(n) real MACs per transform."""
    x, dims = args[0], args[1]
    total = 0
    for d in dims:
        n = x.shape[d]
        total += (x.numel() // n) * 2 * n * max(1, math.ceil(math.log2(n)))
    return total


class MacCounter(TorchDispatchMode):
    """Counts real multiply-accumulates of matrix products, convolutions, FFTs,
    factorizations and solvers; ``uncounted`` names the linear-algebra ops met that have
    no rule (:mod:`chanest.evaluation.linalg_macs`)."""

    def __init__(self):
        super().__init__()
        self.macs = 0
        self.uncounted: set[str] = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        packet = func.overloadpacket
        if packet in (_aten.mm, _aten.bmm):
            self.macs += _mm(args)
        elif packet in (_aten.addmm, _aten.baddbmm):
            self.macs += _mm(args[1:3])
        elif packet is _aten.convolution:  # each output element: C_in/groups · kernel MACs
            w = args[1]
            self.macs += out.numel() * w.shape[1] * math.prod(w.shape[2:]) * _factor(w)
        elif packet in (_aten._fft_c2c, _aten._fft_r2c, _aten._fft_c2r):
            self.macs += _fft(args)
        elif is_linalg(packet):
            macs = linalg_macs(packet, args, kwargs, out)
            if macs is None:
                self.uncounted.add(packet.__name__)
            else:
                self.macs += macs
        return out


def _obs(y: torch.Tensor, no: torch.Tensor, n: int) -> Observation:
    reps = -(-n // y.shape[0])
    return Observation(y.repeat(reps, 1, 1)[:n].contiguous(), no.repeat(reps)[:n].contiguous())


@torch.no_grad()
def count_macs(est, y: torch.Tensor, no: torch.Tensor, batch: int = 8) -> int:
    """Real MACs per grid of ``est.estimate`` (steady state) on ``batch`` grids made
    from the example pilots ``y`` [B, L, P] and noise variances ``no`` [B]."""
    obs = _obs(y, no, batch)
    est.estimate(obs)  # build and cache whatever is built on first use
    with MacCounter() as counter:
        est.estimate(obs)
    return int(round(counter.macs / batch))


def _sync(device) -> None:
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


@torch.no_grad()
def _timed(est, obs, min_seconds: float, min_runs: int) -> list[float]:
    est.estimate(obs)
    times, start = [], time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < min_seconds:
        _sync(est.device)
        t0 = time.perf_counter()
        est.estimate(obs)
        _sync(est.device)
        times.append(time.perf_counter() - t0)
    return times


@dataclass
class ComplexityRow:
    grid: str
    estimator: str
    parameters: int
    macs_per_grid: int
    latency_ms: float
    batch: int
    throughput_grids_per_s: float
    device: str
    threads: int


#: CSV columns of the complexity table
COLUMNS = [f.name for f in fields(ComplexityRow)]


def measure(est, name: str, grid: str, y: torch.Tensor, no: torch.Tensor, batch: int,
            min_seconds: float = 1.0) -> ComplexityRow:
    """One row: parameters, counted MACs, batch-1 latency and large-batch throughput."""
    model = getattr(est, "model", None)
    params = count_parameters(model) if model is not None else 0
    macs = count_macs(est, y, no)
    latency = statistics.median(_timed(est, _obs(y, no, 1), min_seconds, 5))
    big = _timed(est, _obs(y, no, batch), min_seconds, 2)
    return ComplexityRow(grid, name, params, macs, latency * 1e3, batch,
                         batch / statistics.median(big), str(est.device),
                         torch.get_num_threads())
