"""Peak resident memory of ``evaluate``, one estimator per process, at three grid sizes.

    python benchmarks/bench_memory.py [--grids 256] [--memory-gb 1] [--sizes 72,624,3276]
                                      [--array 64]

For each size it simulates ``--grids`` test grids (DM-RS type 1 with one additional
position on NR grids, ChannelNet's 48 pilots on 72x14; TDL-C 50-300 ns, 0-30 m/s) and
runs ``cli.py evaluate --estimators NAME --memory-gb X`` in a fresh process per
estimator, reporting that process's peak RSS (``ru_maxrss``) and wall time. Estimators
whose set-up alone exceeds the time limit at a size are skipped with the reason.
``--array A`` adds an A-element ULA (CDL-C 100 ns, 3 m/s, rays stored) at 624x14 with the
estimators that use the array: ``lmmse-kron`` (fitted on the same grids), ``genie-paths``
and ``lmmse-sionna``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
GRIDS = {72: {"grid": {"preset": "lte-72x14"}, "pilots": {"pattern": "channelnet-48"}},
         624: {"grid": {"preset": "nr-624x14"},
               "pilots": {"pattern": "dmrs", "config_type": 1, "additional_position": 1}},
         3276: {"grid": {"num_subcarriers": 3276, "num_symbols": 14,
                         "subcarrier_spacing": 30e3, "carrier_frequency": 3.5e9},
                "pilots": {"pattern": "dmrs", "config_type": 1, "additional_position": 1}}}
#: the receive-array case (--array): scenario and estimators
ARRAY = {"grid": {"preset": "nr-624x14"},
         "pilots": {"pattern": "dmrs", "config_type": 1, "additional_position": 1}}
ARRAY_ESTIMATORS = ("lmmse-kron", "genie-paths", "lmmse-sionna")
#: estimators skipped at 3276x14, and why
SKIP_LARGE = {
    "lmmse-robust": "builds an O(N·P²) filter per noise level (minutes each at P = 3276)",
    "lmmse-separable": "builds an O(N·P²) error model per noise level",
    "lmmse-separable-tf": "builds an O(N·P²) error model per noise level",
    "lmmse-sionna": "Sionna's per-example filters: about a minute per grid",
    "genie-lmmse": "one 3276-pilot eigendecomposition per grid",
    "dft": "builds an O(N·P²) error model",
}
_CHILD = ("import resource, sys\nfrom chanest.cli import main\ntry:\n    main(sys.argv[1:])\n"
          "except SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
          "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
          "sys.exit(code or 0)\n")


def _run(args, timeout):
    start = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", _CHILD, *args], cwd=REPO, capture_output=True,
                         text=True, timeout=timeout)
    peak = [int(line.split()[1]) for line in res.stdout.splitlines()
            if line.startswith("PEAK_RSS_KB")]
    return res.returncode, (peak[0] / 1024 if peak else float("nan")), \
        time.perf_counter() - start, res.stderr.strip().splitlines()[-1:] or [""]


def _simulate(tmp: Path, i: int, scenario: dict, grids: int) -> Path:
    """``grids`` grids of ``scenario`` (SNRs 0-30 dB) in ``tmp``."""
    cfg = tmp / f"s{i}.yaml"
    cfg.write_text(yaml.safe_dump({**scenario, "noise": {"snr_db": [0, 10, 20, 30]}}))
    data = tmp / f"s{i}.h5"
    subprocess.run([sys.executable, "cli.py", "simulate", "--config", str(cfg), "-n",
                    str(grids), "--out", str(data), "-q"], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)
    return data


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grids", type=int, default=256)
    ap.add_argument("--memory-gb", type=float, default=1.0)
    ap.add_argument("--sizes", default="72,624,3276")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--array", type=int, default=0,
                    help="also this many ULA elements at 624x14 (spatial estimators)")
    ap.add_argument("--estimators", default="ls-linear,dft,lmmse,lmmse-robust,lmmse-adaptive,"
                    "lmmse-separable,lmmse-separable-tf,lmmse-sionna,genie-lmmse")
    args = ap.parse_args(argv)
    names = args.estimators.split(",")
    print("| estimator | grid | peak RSS [MiB] | wall [s] |\n|---|---|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        cases = [(f"{size}x14", {**GRIDS[size], "chunk_size": 32, "channel": {
            "model": "tdl", "profile": "C", "delay_spread_ns": [50, 300],
            "speed_mps": [0, 30]}}, names, size >= 3276)
            for size in (int(s) for s in args.sizes.split(",") if s)]
        if args.array:
            cases.append((f"{args.array}-ULA 624x14", {**ARRAY, "chunk_size": 8, "channel": {
                "model": "cdl", "profile": "C", "delay_spread_ns": [100, 100],
                "speed_mps": [3, 3], "array": {"type": "ula", "columns": args.array},
                "paths": True}}, list(ARRAY_ESTIMATORS), False))
        for i, (label, scenario, estimators, large) in enumerate(cases):
            data = _simulate(Path(tmp), i, scenario, args.grids)
            for name in estimators:
                if large and name in SKIP_LARGE:
                    print(f"| {name} | {label} | skipped: {SKIP_LARGE[name]} | |", flush=True)
                    continue
                fit = ["--fit-data", str(data)] if name in ARRAY_ESTIMATORS[:1] else []
                out = Path(tmp) / f"r-{i}-{name}"
                try:
                    code, peak, wall, err = _run(
                        ["evaluate", "--data", str(data), "--out", str(out), "-q", *fit,
                         "--estimators", name, "--memory-gb", str(args.memory_gb)], args.timeout)
                except subprocess.TimeoutExpired:
                    print(f"| {name} | {label} | timed out after {args.timeout:.0f} s | |")
                    continue
                note = "" if code == 0 else f" (exit {code}: {err[0]})"
                print(f"| {name} | {label} | {peak:,.0f}{note} | {wall:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
