"""Shipped models against every baseline, on their own scenario and on held-out families.

    python sims/pretrained_eval.py [--out results/pretrained] [--samples 4096] [--tiny]

For each shipped model (``chanest.pretrained``) and each test scenario listed below
it simulates a fresh test set (a seed no training run uses) at SNR −5…35 dB and
evaluates on the same grids: the model, ``ls-linear``, ``lmmse-robust``,
``lmmse-adaptive``, ``lmmse`` fitted on grids of the model's *training* scenario
(``lmmse-fit[train]``), the test scenario's own nominal ``lmmse`` (a reference that
knows the test statistics) and the genie bound. Writes ``results.csv`` (NMSE per SNR)
and ``results.md`` (one table per model and test set, gap to the bound in brackets).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from _common import REPO, Grids, nmse_db, read_csv, simulate, write_csv

from chanest.estimators import observe
from chanest.estimators.registry import build_estimator
from chanest.pretrained import available, card

SNRS = [-5.0, 0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0]
#: test scenarios per shipped model: (label, scenario, share of --samples); the first is
#: the training scenario. At 624x14 the genie bound builds a 624-pilot filter per grid
#: (about a second each on one core), hence fewer grids there.
TESTS = {
    "cenet-lte-mixture": [("lte-mixture", "configs/lte-mixture.yaml", 1.0),
                          ("channelnet-veha", "configs/channelnet-veha.yaml", 1.0),
                          ("held-out: CDL-A...E", "configs/families/lte-cdl.yaml", 1.0)],
    "cenet-nr-dmrs": [("nr-dmrs-tdl", "configs/nr-dmrs-tdl.yaml", 0.1),
                      ("held-out: CDL-A/C/E", "configs/families/nr-cdl.yaml", 0.1)],
}
FIELDS = ["model", "test", "estimator", "snr_db", "nmse_db", "gap_db"]


def _one(name: str, label: str, scenario: str, samples: int, fit) -> list[dict]:
    ctx, batch = simulate(str(REPO / scenario), 424242, samples, SNRS)
    ests = {f"pretrained:{name}": build_estimator(f"pretrained:{name}", ctx),
            "ls-linear": build_estimator("ls-linear", ctx),
            "lmmse-robust": build_estimator("lmmse-robust", ctx),
            "lmmse-adaptive": build_estimator("lmmse-adaptive", ctx),
            "lmmse-fit[train]": fit,
            "lmmse (test nominal)": build_estimator("lmmse", ctx),
            "genie-lmmse": build_estimator("genie-lmmse", ctx)}
    res = {}
    for key, est in ests.items():
        outs = [est.estimate(observe(batch[lo:lo + 256])).h_hat
                for lo in range(0, len(batch), 256)]
        res[key] = nmse_db(batch.h, torch.cat(outs), batch.snr_db, SNRS)
    bound = res["genie-lmmse"]
    return [{"model": name, "test": label, "estimator": k, "snr_db": s,
             "nmse_db": round(v[s], 3), "gap_db": round(v[s] - bound[s], 3)}
            for k, v in res.items() for s in SNRS]


def _markdown(rows: list[dict]) -> str:
    out = []
    for key in dict.fromkeys((r["model"], r["test"]) for r in rows):
        sel = [r for r in rows if (r["model"], r["test"]) == key]
        out += [f"\n**{key[0]} on {key[1]}**: NMSE [dB] (gap to the bound)\n",
                "| estimator | " + " | ".join(f"{s:g} dB" for s in SNRS) + " |",
                "|---|" + "---|" * len(SNRS)]
        for est in dict.fromkeys(r["estimator"] for r in sel):
            cells = [f"{r['nmse_db']:.2f} ({r['gap_db']:+.2f})" for r in sel
                     if r["estimator"] == est]
            out.append(f"| {est} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO / "results/pretrained"))
    ap.add_argument("--samples", type=int, default=4096)
    ap.add_argument("--tiny", action="store_true", help="smoke-test sizes")
    ap.add_argument("--models", default=None, help="comma-separated shipped models "
                    "(default: all); results of other models already in OUT are kept")
    args = ap.parse_args(argv)
    samples = 2 * len(SNRS) if args.tiny else args.samples
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = args.models.split(",") if args.models else available()
    rows = [r for r in read_csv(out / "results.csv") if r["model"] not in names]
    for r in rows:
        r.update(snr_db=float(r["snr_db"]), nmse_db=float(r["nmse_db"]),
                 gap_db=float(r["gap_db"]))
    for name in names:
        if name not in TESTS:  # the array model: sims/arraynet_eval.py (sims/pretrained.sh)
            continue
        train_scenario = str(REPO / card(name)["scenario"])
        fctx, grids = simulate(train_scenario, 77, min(samples, 4096))
        fit = build_estimator("lmmse", fctx).fit(Grids(grids))
        for label, scenario, share in TESTS.get(name, [])[: 1 if args.tiny else None]:
            n = max(len(SNRS), round(samples * share / len(SNRS)) * len(SNRS))
            print(f"[eval] {name} on {label} ({n} grids)", flush=True)
            rows += _one(name, label, scenario, n, fit)
            write_csv(out / "results.csv", rows, FIELDS)
    (out / "results.md").write_text(_markdown(rows))
    print(f"wrote {out}/results.csv and results.md", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
