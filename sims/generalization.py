"""Generalization study: train on each channel family and on the mixture, test everywhere.

    python sims/generalization.py [--config configs/studies/generalization.yaml]
                                  [--out results/generalization] [--tiny]

For every training family T it trains CENet (``python cli.py train``; resumed if
interrupted, skipped when finished) and fits ``lmmse`` on T's grids; then on every
test family it evaluates, on the same grids, the family's reference and

* ``cenet[T]``         the network trained on T,
* ``lmmse-nominal[T]`` LMMSE from T's nominal statistics (right only when T is the test;
                       absent for families without a scenario-average profile: UMi/UMa/
                       RMa, sites),
* ``lmmse-fit[T]``     LMMSE from second moments of T's training grids,
* ``lmmse-adaptive``, ``lmmse-robust``, ``ls-linear`` (need no training statistics).

The reference of a test family is the genie bound ``genie-lmmse`` where every model of
the family has a tap profile (Rayleigh given the statistics), else ``genie-paths``, the
LMMSE with each grid's own rays or traced paths (the family must store them:
``channel.paths``), a reference and not a bound; column ``reference`` of the table.

A family is a scenario YAML, or a mapping ``{train: YAML, test: YAML, stored: N}``:
trained on ``N`` grids simulated once into ``OUT/data/<family>-train.h5`` (and a validation
set under another seed) instead of fresh grids every epoch, for families whose grids are
expensive (ray-traced sites), and tested on ``test`` (e.g. the disjoint test part of a
site's region). Writes to OUT: ``results.csv`` (every method x test family x SNR: NMSE and
gap to the reference), ``gap_<snr>dB.csv`` (the matrix at the low and the high SNR) and
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
from _common import REPO, VAL_SEED_OFFSET, Grids, nmse_db, read_csv, simulate, write_csv
from _study import scenario_dict

from chanest.estimators import observe
from chanest.estimators.registry import build_estimator

FIELDS = ["test", "method", "trained_on", "snr_db", "nmse_db", "gap_db", "reference"]
CLASSICAL = ["lmmse-adaptive", "lmmse-robust", "ls-linear"]
REFERENCES = ("genie-lmmse", "genie-paths")


def _family(value, root: Path = REPO) -> dict:
    """A family entry as {train, test, stored}: scenario paths and stored grids (or None)."""
    if isinstance(value, str):
        value = {"train": value}
    fam = {"stored": None, **value}
    fam.setdefault("test", fam["train"])
    for key in ("train", "test"):
        fam[key] = str(Path(fam[key]) if Path(fam[key]).is_absolute() else root / fam[key])
    return fam


def _stored(scenario: dict, samples: int, path: Path) -> Path:
    """``path``: ``samples`` grids of a scenario dict, simulated unless already complete
    (an interrupted simulation resumes from its journal)."""
    from chanest.data.scenario import parse_config
    from chanest.data.simulate import Simulator
    from chanest.data.writer import DatasetWriter

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        DatasetWriter(path, Simulator(parse_config(scenario, source=str(path))), samples).run()
    return path


def _stored_sets(name: str, fam: dict, cfg: dict, out: Path) -> tuple[Path, Path]:
    """The training and validation datasets of a stored family (simulated once)."""
    train = scenario_dict(fam["train"])
    val = dict(train, seed=train["seed"] + VAL_SEED_OFFSET)
    return (_stored(train, fam["stored"], out / "data" / f"{name}-train.h5"),
            _stored(val, cfg["experiment"]["data"]["val_samples"],
                    out / "data" / f"{name}-val.h5"))


def _tiny(cfg: dict) -> dict:
    cfg = json.loads(json.dumps(cfg))
    cfg["experiment"]["model"]["kwargs"].update(channels=8, blocks=1)
    cfg["experiment"]["data"].update(samples_per_epoch=64, val_samples=32)
    cfg["experiment"]["train"].update(epochs=1, batch_size=32)
    cfg["test"]["samples"] = 32
    cfg["fit_samples"] = 32
    cfg["families"] = {k: v if isinstance(v, str) else {**v, "stored": 64}
                       for k, v in list(cfg["families"].items())[:2]}
    return cfg


def _train(name: str, fam: dict, cfg: dict, out: Path, stored: tuple | None) -> Path:
    """Train (or resume, or skip) the model of one family on fresh grids or on its
    ``stored`` (training, validation) datasets; returns its best checkpoint stem."""
    exp = json.loads(json.dumps(cfg["experiment"]))
    exp.update(name=name, out_dir=str(out / "runs"))
    if stored:
        exp["data"] = {"train": str(stored[0]), "val": str(stored[1])}
    else:
        exp["data"]["simulate"] = str(Path(fam["train"]).resolve())
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


def _reference(ctx) -> str:
    """genie-lmmse (a bound) where every model has a tap profile, else genie-paths."""
    return REFERENCES[0] if all(len(p.delays) for p in ctx.profiles) else REFERENCES[1]


def _fitted(fam: dict, cfg: dict, seed: int, stored: tuple | None) -> dict:
    """lmmse with the family's nominal statistics (None without a profile) and fitted on
    ``fit_samples`` of its training grids (of its ``stored`` training set, if any)."""
    if stored:
        from chanest.data.dataset import open_dataset

        with open_dataset([str(stored[0])]) as ds:
            fctx, grids = ds.context(), ds.read(0, min(len(ds), cfg["fit_samples"]))
    else:
        fctx, grids = simulate(fam["train"], seed, cfg["fit_samples"])
    nominal = None if _reference(fctx) == "genie-paths" else build_estimator("lmmse", fctx)
    return {"nominal": nominal, "fit": build_estimator("lmmse", fctx).fit(Grids(grids))}


def _evaluate(test: str, scenario: str, trained: dict, cfg: dict) -> list[dict]:
    snrs = [float(s) for s in cfg["test"]["snr_db"]]
    ctx, batch = simulate(scenario, cfg["test"]["seed"], cfg["test"]["samples"], snrs)
    obs = observe(batch)
    reference = _reference(ctx)
    methods = {(reference, ""): build_estimator(reference, ctx)}
    methods.update({(name, ""): build_estimator(name, ctx) for name in CLASSICAL})
    for fam, item in trained.items():
        methods[("cenet", fam)] = build_estimator(f"ckpt:{item['ckpt']}", ctx)
        if item["nominal"] is not None:
            methods[("lmmse-nominal", fam)] = item["nominal"]
        methods[("lmmse-fit", fam)] = item["fit"]
    results = {key: nmse_db(batch.h, est.estimate(obs).h_hat, batch.snr_db, snrs)
               for key, est in methods.items()}
    ref = results[(reference, "")]
    return [{"test": test, "method": m, "trained_on": t, "snr_db": s,
             "nmse_db": round(v[s], 3), "gap_db": round(v[s] - ref[s], 3),
             "reference": reference}
            for (m, t), v in results.items() for s in snrs]


def _label(row: dict) -> str:
    return row["method"] + (f" [{row['trained_on']}]" if row["trained_on"] else "")


def _matrices(rows: list[dict], tests: list[str], out: Path, snrs: list[float]):
    labels = list(dict.fromkeys(_label(r) for r in rows if r["method"] not in REFERENCES))
    mats = {}
    for snr in snrs:
        m = np.full((len(labels), len(tests)), np.nan)
        for r in rows:
            if float(r["snr_db"]) == snr and r["method"] not in REFERENCES:
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
    width = max(7.16, 0.45 * len(tests) * len(snrs) + 2.6)
    fig, axes = plt.subplots(1, len(snrs), figsize=(width, 0.28 * len(labels) + 1.6),
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
        ax.set_xticks(range(len(tests)), tests, rotation=45, ha="right")
        ax.set_xlabel("test family (*: gap to genie-paths, a reference)")
        ax.set_title(f"SNR {snr:g} dB")
    np.atleast_1d(axes)[0].set_yticks(range(len(labels)), labels)
    fig.colorbar(im, ax=axes, label="NMSE gap to genie-lmmse (bound) or genie-paths "
                 "(reference) [dB]", shrink=0.9)
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
    families = {k: _family(v) for k, v in cfg["families"].items()}
    tests = {**{k: f["test"] for k, f in families.items()},
             **{k: _family(v)["test"] for k, v in (cfg.get("test_only") or {}).items()}}
    trained = {}
    for name, fam in families.items():
        stored = _stored_sets(name, fam, cfg, out) if fam["stored"] else None
        ckpt = _train(name, fam, cfg, out, stored)
        trained[name] = {"ckpt": str(ckpt), **_fitted(fam, cfg, 7 + len(trained), stored)}
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
    refs = {r["test"]: r.get("reference") or REFERENCES[0] for r in rows}
    _heatmap(labels, mats, [t + ("*" if refs.get(t) == REFERENCES[1] else "")
                            for t in tests], out)
    print(f"wrote {out}/results.csv, gap_*dB.csv, heatmap.pdf/.png", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
