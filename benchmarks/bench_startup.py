"""Start-up time of the command line against a bare interpreter.

Each command runs in a fresh interpreter; the commands alternate within every repetition,
so load from other jobs reaches them alike. Reported: the median wall time over the
repetitions and its ratio to ``python -c pass`` measured in the same run.

Run: ``python benchmarks/bench_startup.py [--reps 9] [--repo PATH]`` (``--repo``: the
checkout whose ``cli.py`` is timed; default this one).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def commands(repo: Path) -> dict[str, list[str]]:
    """{label: argv}; the first is the baseline."""
    py = sys.executable
    return {"python -c pass": [py, "-c", "pass"],
            "python -c 'import chanest'": [py, "-c", "import chanest"],
            "python cli.py --help": [py, str(repo / "cli.py"), "--help"],
            "python cli.py evaluate --help": [py, str(repo / "cli.py"), "evaluate", "--help"]}


def wall_times(argvs: dict[str, list[str]], reps: int, repo: Path) -> dict[str, list[float]]:
    """Wall seconds of each command per repetition (commands interleaved)."""
    env = {**os.environ, "PYTHONPATH": str(repo)}
    times: dict[str, list[float]] = {label: [] for label in argvs}
    for _ in range(reps):
        for label, argv in argvs.items():
            start = time.perf_counter()
            subprocess.run(argv, cwd=repo, env=env, check=True, stdout=subprocess.DEVNULL)
            times[label].append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--repo", type=Path, default=REPO)
    args = parser.parse_args()
    repo = args.repo.resolve()
    medians = {label: statistics.median(t)
               for label, t in wall_times(commands(repo), args.reps, repo).items()}
    base = next(iter(medians.values()))
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, {repo}, median of {args.reps}")
    print("| command | median wall [ms] | ratio to `python -c pass` |\n|---|---:|---:|")
    for label, t in medians.items():
        print(f"| `{label}` | {t * 1e3:.0f} | {t / base:.1f} |")


if __name__ == "__main__":
    main()
