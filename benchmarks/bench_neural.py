"""Training throughput of the models and inference throughput against the LMMSE estimators.

* Training: samples/s of one optimizer step (forward, backward, Adam) on batches of
  72×14 grids, for each model; on CUDA also with bf16 autocast (AMP) and channels_last.
* Inference: grids/s of ``estimate()`` (front end + network) at 72×14 and 624×14,
  next to ``lmmse`` and ``lmmse-separable`` timed in the same process.

Models are untrained (throughput does not depend on the weights).
Run: ``python benchmarks/bench_neural.py [--device cpu|cuda] [--steps 10]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from chanest.data.context import context_from_simulator
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator
from chanest.estimators.base import observe
from chanest.estimators.neural import NeuralEstimator, NeuralFrontEnd
from chanest.estimators.registry import build_estimator
from chanest.models import build_model, count_parameters, model_spec

MODELS = {"channelnet": {}, "reesnet": {}, "cenet": {}}
GRIDS = {"72x14": {"grid": {"preset": "lte-72x14"}, "pilots": {"pattern": "channelnet-48"}},
         "624x14": {"grid": {"preset": "nr-624x14"},
                    "pilots": {"pattern": "lattice", "symbols": [2, 6, 9, 13], "spacing": 6,
                               "offsets": [0, 3]}}}


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _median_rate(fn, items: int, reps: int, device: str) -> float:
    fn()  # warm-up
    _sync(device)
    rates = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        _sync(device)
        rates.append(items / (time.perf_counter() - t0))
    return statistics.median(rates)


def _sim(size: str, device: str, chunk: int) -> Simulator:
    return Simulator(parse_config({**GRIDS[size], "chunk_size": chunk}), device=device)


def training_rate(name: str, device: str, batch: int, steps: int, amp: bool,
                  channels_last: bool) -> float:
    sim = _sim("72x14", device, batch)
    ctx = context_from_simulator(sim)
    model = build_model(name, **model_spec(name, MODELS[name], ctx.mask)["kwargs"]).to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    front = NeuralFrontEnd(ctx, model.input_kind, device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = sim.chunk(0)
    x, scale = front.inputs(data.y, data.no)
    target = front.target(data.h, scale)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)

    def step():
        for _ in range(steps):
            with torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16,
                                enabled=amp):
                out = model(x)
            loss = torch.mean((out.float() - target) ** 2)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    return _median_rate(step, steps * batch, 3, device)


def inference_rates(size: str, device: str, batch: int, reps: int) -> dict[str, float]:
    sim = _sim(size, device, batch)
    ctx = context_from_simulator(sim)
    obs = observe(sim.chunk(0))
    ests = {n: build_estimator(n, ctx, device) for n in ("lmmse", "lmmse-separable")}
    for name, kw in MODELS.items():
        model = build_model(name, **model_spec(name, kw, ctx.mask)["kwargs"])
        err_map = (torch.zeros(1).numpy(), torch.zeros(1, *ctx.mask.shape).numpy())
        ests[name] = NeuralEstimator(ctx, model, device, err_map=err_map)
    return {n: _median_rate(lambda e=e: e.estimate(obs), batch, reps, device)
            for n, e in ests.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    device = "cuda:0" if args.device == "cuda" else args.device
    cuda = device.startswith("cuda")
    label = torch.cuda.get_device_name(0) if cuda else f"cpu, {torch.get_num_threads()} threads"
    print(f"device: {device} ({label}), torch {torch.__version__}")
    print("\nTraining, 72x14, batch", args.batch)
    cols = ["fp32"] + (["bf16 AMP", "bf16 AMP + channels_last"] if cuda else [])
    print("| model | parameters | " + " | ".join(f"{c} samples/s" for c in cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    for name, kw in MODELS.items():
        ctx = context_from_simulator(_sim("72x14", "cpu", 1))
        params = count_parameters(build_model(name, **model_spec(name, kw, ctx.mask)["kwargs"]))
        rates = [training_rate(name, device, args.batch, args.steps, False, False)]
        if cuda:
            rates += [training_rate(name, device, args.batch, args.steps, True, False),
                      training_rate(name, device, args.batch, args.steps, True, True)]
        print(f"| {name} | {params:,} | " + " | ".join(f"{r:,.0f}" for r in rates) + " |")
    print("\nInference, estimate() grids/s")
    for size, batch in (("72x14", 256), ("624x14", 32)):
        rates = inference_rates(size, device, batch, 5)
        print(f"| {size} (batch {batch}) | " +
              " | ".join(f"{n}: {r:,.0f}" for n, r in rates.items()) + " |")


if __name__ == "__main__":
    main()
