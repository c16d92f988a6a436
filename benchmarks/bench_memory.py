"""Peak resident memory of ``evaluate``, one estimator per process, at three grid sizes.

    python benchmarks/bench_memory.py [--grids 256] [--memory-gb 1] [--sizes 72,624,3276]

For each size it simulates ``--grids`` test grids (DM-RS type 1 with one additional
position on NR grids, ChannelNet's 48 pilots on 72x14; TDL-C 50-300 ns, 0-30 m/s) and
runs ``cli.py evaluate --estimators NAME --memory-gb X`` in a fresh process per
estimator, reporting that process's peak RSS (``ru_maxrss``) and wall time. Estimators
whose set-up alone exceeds the time limit at a size are skipped with the reason.
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grids", type=int, default=256)
    ap.add_argument("--memory-gb", type=float, default=1.0)
    ap.add_argument("--sizes", default="72,624,3276")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--estimators", default="ls-linear,dft,lmmse,lmmse-robust,lmmse-adaptive,"
                    "lmmse-separable,lmmse-separable-tf,lmmse-sionna,genie-lmmse")
    args = ap.parse_args(argv)
    names = args.estimators.split(",")
    print("| estimator | grid | peak RSS [MiB] | wall [s] |\n|---|---|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            cfg = Path(tmp) / f"s{size}.yaml"
            cfg.write_text(yaml.safe_dump({**GRIDS[size], "chunk_size": 32, "channel": {
                "model": "tdl", "profile": "C", "delay_spread_ns": [50, 300],
                "speed_mps": [0, 30]}, "noise": {"snr_db": [0, 10, 20, 30]}}))
            data = Path(tmp) / f"s{size}.h5"
            subprocess.run([sys.executable, "cli.py", "simulate", "--config", str(cfg), "-n",
                            str(args.grids), "--out", str(data), "-q"], cwd=REPO, check=True,
                           stdout=subprocess.DEVNULL)
            for name in names:
                if size >= 3276 and name in SKIP_LARGE:
                    print(f"| {name} | {size}x14 | skipped: {SKIP_LARGE[name]} | |", flush=True)
                    continue
                out = Path(tmp) / f"r-{size}-{name}"
                try:
                    code, peak, wall, err = _run(
                        ["evaluate", "--data", str(data), "--out", str(out), "-q",
                         "--estimators", name, "--memory-gb", str(args.memory_gb)], args.timeout)
                except subprocess.TimeoutExpired:
                    print(f"| {name} | {size}x14 | timed out after {args.timeout:.0f} s | |")
                    continue
                note = "" if code == 0 else f" (exit {code}: {err[0]})"
                print(f"| {name} | {size}x14 | {peak:,.0f}{note} | {wall:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
