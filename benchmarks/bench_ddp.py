"""Data parallel training on CPU ranks against one process, at the same global batch.

One process with T threads, then ``torchrun --nproc-per-node R`` with T/R threads per rank
(gloo), train the same experiment from the same stored dataset: a CENet, ``--grids``
training grids per epoch, global batch ``--batch`` (each rank ``--batch``/R). The table
gives training samples/s and the seconds of each epoch (training and validation), from
each run's ``log.csv`` (median over the epochs after the first).
Run: ``python benchmarks/bench_ddp.py [--ranks 2] [--threads 2] [--epochs 3]``
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from chanest.data.dataset import DatasetWriter
from chanest.data.scenario import parse_config
from chanest.data.simulate import Simulator

REPO = Path(__file__).resolve().parents[1]


def _experiment(tmp: Path, name: str, batch: int, epochs: int) -> Path:
    exp = {"name": name, "out_dir": str(tmp / "runs"), "seed": 0,
           "model": {"name": "cenet", "kwargs": {"channels": 16, "blocks": 2}},
           "data": {"train": str(tmp / "train.h5"), "val": str(tmp / "val.h5"), "workers": 0},
           "train": {"epochs": epochs, "batch_size": batch, "patience": None}}
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(exp))
    return path


def _train(cmd: list[str], threads: int) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    subprocess.run(cmd, check=True, env=env, cwd=REPO, stdout=subprocess.DEVNULL)


def _rates(run: Path) -> tuple[float, float]:
    """(samples/s, seconds per epoch): medians over the epochs after the first."""
    rows = list(csv.DictReader((run / "log.csv").open()))[1:]
    return (statistics.median(float(r["samples_per_s"]) for r in rows),
            statistics.median(float(r["seconds"]) for r in rows))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2, help="threads in all")
    ap.add_argument("--grids", type=int, default=2048)
    ap.add_argument("--val", type=int, default=512)
    ap.add_argument("--batch", type=int, default=128, help="global batch")
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args(argv)
    cli = [sys.executable, str(REPO / "cli.py"), "train", "-q", "--device", "cpu", "--config"]
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        sim = Simulator(parse_config({"noise": {"snr_db_range": [0, 30]}}))
        DatasetWriter(tmp / "train.h5", sim, args.grids).run()
        DatasetWriter(tmp / "val.h5", Simulator(parse_config({"seed": 1})), args.val).run()
        _train([*cli, str(_experiment(tmp, "one", args.batch, args.epochs))], args.threads)
        _train([sys.executable, "-m", "torch.distributed.run", "--standalone",
                "--nproc-per-node", str(args.ranks), *cli[1:],
                str(_experiment(tmp, "ddp", args.batch // args.ranks, args.epochs))],
               max(1, args.threads // args.ranks))
        one, ddp = _rates(tmp / "runs" / "one"), _rates(tmp / "runs" / "ddp")
    print(f"CENet (16 channels, 2 blocks), 72x14, {args.grids} training + {args.val} "
          f"validation grids per epoch, global batch {args.batch}, {args.threads} threads\n")
    print("| run | training samples/s | seconds per epoch |")
    print("|---|---:|---:|")
    print(f"| one process, {args.threads} threads | {one[0]:,.0f} | {one[1]:.1f} |")
    print(f"| {args.ranks} gloo ranks, {max(1, args.threads // args.ranks)} thread each | "
          f"{ddp[0]:,.0f} | {ddp[1]:.1f} |")


if __name__ == "__main__":
    main()
