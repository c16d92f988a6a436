"""Generalization study: train on each channel family and on the mixture, test everywhere.

    python sims/generalization.py [--config configs/studies/generalization.yaml]
                                  [--out results/generalization] [--tiny]

For every training family T it trains CENet (``python cli.py train``; resumed if
interrupted, skipped when finished) and fits ``lmmse`` on T's grids; then on every
test family it evaluates, on the same grids, the genie bound and

* ``cenet[T]``         the network trained on T,
* ``lmmse-nominal[T]`` LMMSE from T's nominal statistics (right only when T is the test),
* ``lmmse-fit[T]``     LMMSE from second moments of T's training grids,
* ``lmmse-adaptive``, ``lmmse-robust``, ``ls-linear`` (need no training statistics).

Writes to OUT: ``results.csv`` (every method x test family x SNR: NMSE and gap to the
bound), ``gap_<snr>dB.csv`` (the matrix at the low and the high SNR) and
``heatmap.pdf``/``.png``. Test families already in results.csv are not evaluated again.
``--tiny`` shrinks every size (a smoke run in seconds, used by the tests).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml
from _common import REPO, Grids, nmse_db, read_csv, simulate, write_csv

from chanest.estimators import observe
from chanest.estimators.registry import build_estimator

FIELDS = ["test", "method", "trained_on", "snr_db", "nmse_db", "gap_db"]
CLASSICAL = ["lmmse-adaptive", "lmmse-robust", "ls-linear"]


def _tiny(cfg: dict) -> dict:
    cfg = json.loads(json.dumps(cfg))
    cfg["experiment"]["model"]["kwargs"].update(channels=8, blocks=1)
    cfg["experiment"]["data"].update(samples_per_epoch=64, val_samples=32)
    cfg["experiment"]["train"].update(epochs=1, batch_size=32)
    cfg["test"]["samples"] = 32
    cfg["fit_samples"] = 32
    cfg["families"] = dict(list(cfg["families"].items())[:2])
    return cfg


def _train(name: str, scenario: str, cfg: dict, out: Path) -> Path:
    """Train (or resume, or skip) the model of one family; returns its best checkpoint stem."""
    exp = json.loads(json.dumps(cfg["experiment"]))
    exp.update(name=name, out_dir=str(out / "runs"))
    exp["data"]["simulate"] = str(Path(scenario).resolve())
    path = out / "experiments" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(exp, sort_keys=False))
    run = out / "runs" / name
    last = run / "last.json"
    if last.exists() and json.loads(last.read_text())["state"]["finished"]:
        print(f"[train] {name}: finished, skipped", flush=True)
        return run / "best"
    cmd = [sys.executable, str(REPO / "cli.py"), "train", "--config", str(path), "--quiet"]
    if last.exists():
        cmd.append("--resume")
    print(f"[train] {name}: {' '.join(cmd[1:])}", flush=True)
    subprocess.run(cmd, check=True, cwd=REPO)
    return run / "best"


def _evaluate(test: str, scenario: str, trained: dict, cfg: dict) -> list[dict]:
    snrs = [float(s) for s in cfg["test"]["snr_db"]]
    ctx, batch = simulate(scenario, cfg["test"]["seed"], cfg["test"]["samples"], snrs)
    obs = observe(batch)
    methods = {("genie-lmmse", ""): build_estimator("genie-lmmse", ctx)}
    methods.update({(name, ""): build_estimator(name, ctx) for name in CLASSICAL})
    for fam, item in trained.items():
        methods[("cenet", fam)] = build_estimator(f"ckpt:{item['ckpt']}", ctx)
        methods[("lmmse-nominal", fam)] = item["nominal"]
        methods[("lmmse-fit", fam)] = item["fit"]
    results = {key: nmse_db(batch.h, est.estimate(obs).h_hat, batch.snr_db, snrs)
               for key, est in methods.items()}
    bound = results[("genie-lmmse", "")]
    return [{"test": test, "method": m, "trained_on": t, "snr_db": s,
             "nmse_db": round(v[s], 3), "gap_db": round(v[s] - bound[s], 3)}
            for (m, t), v in results.items() for s in snrs]


def _label(row: dict) -> str:
    return row["method"] + (f" [{row['trained_on']}]" if row["trained_on"] else "")


def _matrices(rows: list[dict], tests: list[str], out: Path, snrs: list[float]):
    labels = list(dict.fromkeys(_label(r) for r in rows if r["method"] != "genie-lmmse"))
    mats = {}
    for snr in snrs:
        m = np.full((len(labels), len(tests)), np.nan)
        for r in rows:
            if float(r["snr_db"]) == snr and r["method"] != "genie-lmmse":
                m[labels.index(_label(r)), tests.index(r["test"])] = float(r["gap_db"])
        mats[snr] = m
        write_csv(out / f"gap_{snr:g}dB.csv",
               [{"method": lab, **{t: f"{m[i, j]:.2f}" for j, t in enumerate(tests)}}
                for i, lab in enumerate(labels)], ["method"] + tests)
    return labels, mats


def _heatmap(labels, mats, tests, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"pdf.fonttype": 42, "ps.fonttype": 42, "font.size": 8})
    snrs = list(mats)
    fig, axes = plt.subplots(1, len(snrs), figsize=(7.16, 0.28 * len(labels) + 1.4),
                             sharey=True, constrained_layout=True)
    vmax = max(float(np.nanmax(m)) for m in mats.values())
    for ax, snr in zip(np.atleast_1d(axes), snrs):
        m = mats[snr]
        im = ax.imshow(m, cmap="magma_r", vmin=0.0, vmax=max(vmax, 1.0), aspect="auto")
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                if np.isfinite(m[i, j]):
                    ax.text(j, i, f"{m[i, j]:.1f}", ha="center", va="center", fontsize=7,
                            color="white" if m[i, j] > 0.6 * vmax else "black")
        ax.set_xticks(range(len(tests)), tests)
        ax.set_xlabel("test family")
        ax.set_title(f"SNR {snr:g} dB")
    np.atleast_1d(axes)[0].set_yticks(range(len(labels)), labels)
    fig.colorbar(im, ax=axes, label="NMSE gap to the genie bound [dB]", shrink=0.9)
    for ext, kw in (("pdf", {}), ("png", {"dpi": 300})):
        fig.savefig(out / f"heatmap.{ext}", **kw)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(REPO / "configs/studies/generalization.yaml"))
    ap.add_argument("--out", default=str(REPO / "results/generalization"))
    ap.add_argument("--tiny", action="store_true", help="smoke-test sizes")
    args = ap.parse_args(argv)
    cfg = yaml.safe_load(Path(args.config).read_text())
    if args.tiny:
        cfg = _tiny(cfg)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    families = {k: str(REPO / v) if not Path(v).is_absolute() else v
                for k, v in cfg["families"].items()}
    tests = {**families, **{k: str(REPO / v) for k, v in (cfg.get("test_only") or {}).items()}}
    trained = {}
    for fam, scenario in families.items():
        ckpt = _train(fam, scenario, cfg, out)
        fctx, grids = simulate(scenario, 7 + len(trained), cfg["fit_samples"])
        trained[fam] = {"ckpt": str(ckpt), "nominal": build_estimator("lmmse", fctx),
                        "fit": build_estimator("lmmse", fctx).fit(Grids(grids))}
    rows = read_csv(out / "results.csv")
    done = {r["test"] for r in rows}
    for test, scenario in tests.items():
        if test in done:
            print(f"[test] {test}: in results.csv, skipped", flush=True)
            continue
        print(f"[test] {test}: evaluating {len(trained) * 3 + 4} methods", flush=True)
        rows += _evaluate(test, scenario, trained, cfg)
        write_csv(out / "results.csv", rows, FIELDS)
    snrs = [float(cfg["test"]["snr_db"][0]), float(cfg["test"]["snr_db"][-1])]
    labels, mats = _matrices(rows, list(tests), out, snrs)
    _heatmap(labels, mats, list(tests), out)
    print(f"wrote {out}/results.csv, gap_*dB.csv, heatmap.pdf/.png", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
