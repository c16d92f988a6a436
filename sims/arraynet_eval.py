"""Joint-antenna networks against the classical estimators on stored array test sets.

    python sims/arraynet_eval.py --out OUT --test NAME=TEST.h5:FIT.h5 [--test ...]
                                 --nets ckpt:runs/a/best,pretrained:b

For every test set (NAME, its test grids, and a separate training set of the same scenario
made with ``simulate --seed``) it evaluates on the same grids: the networks, ``ls-linear``,
``lmmse-adaptive``, ``lmmse-adaptive-array``, ``lmmse-kron`` fitted on FIT.h5 (spatial
covariance and time-frequency blocks from its channels) and the per-grid reference
``genie-paths`` (it knows each grid's rays). Writes ``OUT/parts/<NAME>[-kron|-<network>]/``
(evaluate's tables, one part per network), ``OUT/results.csv`` (joined, with a ``test``
column) and ``OUT/results.md`` (NMSE [dB] per SNR, one table per test set, and each
network's margin over the best practical estimator at every SNR). Finished parts are
skipped when run again.
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

from _common import REPO
from _study import Study

from chanest.fileio import atomic_write

CLASSICAL = ["ls-linear", "lmmse-adaptive", "lmmse-adaptive-array"]
FITTED = "lmmse-kron"
REFERENCE = "genie-paths"


def _rows(table: Path) -> list[dict]:
    with open(table, newline="") as fh:
        return list(csv.DictReader(fh))


def _markdown(test: str, rows: list[dict], nets: list[str]) -> str:
    """One NMSE table (estimators × SNR) and the networks' margins over the best practical
    estimator (positive: the network is better)."""
    nmse = {(r["estimator"], float(r["snr_db"])): float(r["nmse_db"]) for r in rows}
    snrs = sorted({s for _, s in nmse})
    order = [*nets, *CLASSICAL, FITTED, REFERENCE]
    names = {FITTED: f"{FITTED} (fitted)", REFERENCE: f"{REFERENCE} (reference)"}
    out = [f"\n**{test}**: NMSE [dB]\n", "| estimator | " +
           " | ".join(f"{s:g} dB" for s in snrs) + " |", "|---|" + "---|" * len(snrs)]
    for est in order:
        out.append(f"| {names.get(est, est)} | " +
                   " | ".join(f"{nmse[(est, s)]:.2f}" for s in snrs) + " |")
    for net in nets:
        margin = [min(nmse[(e, s)] for e in [*CLASSICAL, FITTED]) - nmse[(net, s)]
                  for s in snrs]
        out.append(f"| margin of {net} over the best practical | " +
                   " | ".join(f"{m:+.2f}" for m in margin) + " |")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO / "results" / "arraynet"))
    ap.add_argument("--test", action="append", required=True, help="NAME=TEST.h5:FIT.h5")
    ap.add_argument("--nets", required=True, help="comma-separated network estimators")
    args = ap.parse_args(argv)
    nets = args.nets.split(",")
    tests = [(t.partition("=")[0], *map(Path, t.partition("=")[2].split(":")))
             for t in args.test]
    study = Study(args.out, (2 + len(nets)) * len(tests))
    joined, text = [], []
    for name, test, fit in tests:
        rows = _rows(study.evaluate(name, test, [*CLASSICAL, REFERENCE]))
        rows += _rows(study.evaluate(f"{name}-kron", test, [FITTED], fit_data=fit))
        for net in nets:  # one part each, so a part stays valid when the list changes
            part = f"{name}-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", net)
            rows += _rows(study.evaluate(part, test, [net]))
        joined += [{"test": name, **r} for r in rows]
        text.append(_markdown(name, rows, nets))
    with atomic_write(study.out / "results.csv", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["test", "estimator", "snr_db", "n", "nmse_db",
                                           "nmse_db_lo", "nmse_db_hi"],
                           extrasaction="ignore")
        w.writeheader()
        w.writerows(joined)
    with atomic_write(study.out / "results.md") as fh:
        fh.write("".join(text))
    print("".join(text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
