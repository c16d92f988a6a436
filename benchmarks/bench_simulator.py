"""Simulator throughput and peak memory against bare Sionna calls.

Reference ("bare Sionna"): ``GenerateOFDMChannel(TDL(...), rg)(B)`` followed by
Sionna's ``AWGN`` on the full grid: the least work that produces noisy
channel grids with Sionna. Ours: ``Simulator.chunk(k)``, which additionally
draws per-sample delay spread / Doppler / SNR, seeds the chunk, extracts the
pilots and records the parameters. Both generate the same model (TDL-A,
100 ns, 0–30 m/s) with the same batch size, timed alternately in one process;
the ratio ours/bare is what the benchmark reports (goal ≥ 0.9).

Peak memory is measured in a fresh subprocess per (implementation, size) that
imports both stacks and makes 8 calls: the process's peak RSS on CPU (compare
with the imports-only line), ``torch.cuda.max_memory_allocated`` on CUDA.

Run: ``python benchmarks/bench_simulator.py [--device cpu|cuda] [--reps 7]``
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time

import torch

SIZES = {"72x14": ("lte-72x14", 1024), "624x14": ("nr-624x14", 128)}


def _scenario(preset: str, batch: int):
    from chanest.data.scenario import parse_config

    return parse_config({
        "chunk_size": batch, "grid": {"preset": preset}, "pilots": {"pattern": "comb"},
        "channel": {"model": "tdl", "profile": "A", "delay_spread_ns": 100,
                    "speed_mps": [0, 30]},
        "noise": {"snr_db": [10]}})


def _bare(sc, device: str):
    """A callable producing B noisy grids with plain Sionna calls."""
    from sionna.phy.channel import AWGN, GenerateOFDMChannel
    from sionna.phy.channel.tr38901 import TDL
    from sionna.phy.ofdm import ResourceGrid

    g = sc.grid
    rg = ResourceGrid(num_ofdm_symbols=g.num_symbols, fft_size=g.num_subcarriers,
                      subcarrier_spacing=g.subcarrier_spacing,
                      cyclic_prefix_length=round(0.0703 * g.num_subcarriers), device=device)
    tdl = TDL("A", delay_spread=100e-9, carrier_frequency=g.carrier_frequency,
              min_speed=0.0, max_speed=30.0, device=device)
    gen, awgn = GenerateOFDMChannel(tdl, rg, device=device), AWGN(device=device)
    no = torch.tensor(0.1, device=device)

    def run(_k: int):
        h = gen(sc.chunk_size)  # [B, 1, 1, 1, 1, S, F]
        return awgn(h, no)

    return run


def _ours(sc, device: str):
    from chanest.data.simulate import Simulator

    return Simulator(sc, device=device).chunk


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def throughput(size: str, device: str, reps: int) -> dict:
    preset, batch = SIZES[size]
    sc = _scenario(preset, batch)
    impls = {"bare": _bare(sc, device), "ours": _ours(sc, device)}
    times = {name: [] for name in impls}
    for fn in impls.values():  # warm-up
        fn(0), _sync(device)
    n_calls = max(1, 4096 // batch)
    for rep in range(reps):
        for name, fn in impls.items():
            _sync(device)
            t0 = time.perf_counter()
            for k in range(n_calls):
                fn(rep * n_calls + k)
            _sync(device)
            times[name].append(n_calls * batch / (time.perf_counter() - t0))
    med = {name: statistics.median(v) for name, v in times.items()}
    spread = {name: (min(v), max(v)) for name, v in times.items()}
    return {"size": size, "batch": batch, "bare": med["bare"], "ours": med["ours"],
            "ratio": med["ours"] / med["bare"], "spread": spread}


def peak_memory(size: str, impl: str, device: str) -> float:
    """Peak memory [MiB] of 8 calls of ``impl`` in a fresh process."""
    code = (f"import sys; sys.path.insert(0, {repr(sys.path[0])});"
            "import bench_simulator as b; b._child("
            f"{size!r}, {impl!r}, {device!r})")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=sys.path[0])
    return float(out.stdout.strip().splitlines()[-1])


def _child(size: str, impl: str, device: str) -> None:
    """Print the process's peak memory [MiB]; impl "none" only imports both stacks."""
    import sionna.phy.channel  # noqa: F401 - timed import

    import chanest.data.simulate  # noqa: F401 - imports count towards every baseline

    if impl != "none":
        preset, batch = SIZES[size]
        fn = (_bare if impl == "bare" else _ours)(_scenario(preset, batch), device)
        for k in range(8):
            fn(k)
    if device.startswith("cuda"):
        print(torch.cuda.max_memory_allocated() / 2**20)
    else:
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    device = "cuda:0" if args.device == "cuda" else args.device
    torch.set_num_threads(torch.get_num_threads())
    name = torch.cuda.get_device_name(0) if device.startswith("cuda") else platform.processor()
    print(f"device: {device} ({name or platform.machine()}), torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    if not device.startswith("cuda"):
        print(f"peak RSS after imports only: {peak_memory('72x14', 'none', device):.0f} MiB")
    kind = "peak CUDA MiB" if device.startswith("cuda") else "peak RSS MiB"
    print(f"| grid | batch | bare Sionna grids/s | chanest grids/s | ratio | "
          f"{kind} bare | {kind} chanest |")
    print("|---|---|---|---|---|---|---|")
    rows = []
    for size in SIZES:
        r = throughput(size, device, args.reps)
        r["mem_bare"] = peak_memory(size, "bare", device)
        r["mem_ours"] = peak_memory(size, "ours", device)
        rows.append(r)
        print(f"| {size} | {r['batch']} | {r['bare']:,.0f} | {r['ours']:,.0f} | "
              f"{r['ratio']:.2f} | {r['mem_bare']:.0f} | {r['mem_ours']:.0f} |")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
