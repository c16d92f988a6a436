"""The steps every study script is built from, each resumable and reporting progress.

A study writes everything into one folder OUT:

* ``OUT/data/<part>.h5``          a simulated test set per part (skipped if complete;
                                   an interrupted simulation resumes from its journal);
* ``OUT/parts/<part>/results.csv`` chanest's evaluate tables per part (skipped if present);
* ``OUT/runs/<name>/``            trainings (skipped when finished, else resumed);
* ``OUT/results.csv``             the parts' tables joined, with the study's own columns
                                   (e.g. ``num_pilots``) in front;
* figures via :func:`chanest.plots.results.plot_results` (each with the CSV of its points).
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml
from _common import REPO, write_csv

from chanest.data.scenario import load_config, parse_config
from chanest.evaluation.evaluate import RESULT_COLUMNS, evaluate_to_dir

__all__ = ["Study", "scenario_dict", "study_arguments", "seed_summary", "CLASSICAL",
           "SEED_COLUMNS"]

#: classical estimators of the studies (the bound last)
CLASSICAL = ["ls-nearest", "ls-linear", "dft", "lmmse-separable", "lmmse-robust",
             "lmmse-adaptive", "lmmse", "genie-lmmse"]


#: columns of :func:`seed_summary`'s rows besides RESULT_COLUMNS
SEED_COLUMNS = ["nmse_db_std", "nmse_db_min", "nmse_db_max", "seeds"]


def seed_summary(table, runs: dict[str, tuple[str, int]]) -> tuple[list[dict], list[dict]]:
    """Networks trained with several seeds, summarised per SNR and model group.

    Args:
        table: evaluate's ``results.csv``.
        runs: estimator name in the table → (network label, training seed).

    Returns:
        per-seed rows (label, seed, snr_db, model, nmse_db) and summary rows: the other
        estimators as evaluated (empty ``nmse_db_lo``/``_hi``), then one row per label,
        SNR and group whose ``nmse_db`` is the mean over the seeds, ``nmse_db_lo``/``_hi``
        the mean ∓ one standard deviation (0 for one seed), with :data:`SEED_COLUMNS`.
    """
    from chanest.evaluation.evaluate import RESULT_COLUMNS

    with open(table, newline="") as fh:
        rows = list(csv.DictReader(fh))
    per_seed = [dict(label=runs[r["estimator"]][0], seed=runs[r["estimator"]][1],
                     snr_db=r["snr_db"], model=r["model"], nmse_db=r["nmse_db"])
                for r in rows if r["estimator"] in runs]
    summary = [dict(r, nmse_db_lo="", nmse_db_hi="") for r in rows if r["estimator"] not in runs]
    groups = {}
    for r in per_seed:
        groups.setdefault((r["label"], r["snr_db"], r["model"]), []).append(float(r["nmse_db"]))
    for (label, snr, model), values in groups.items():
        mean = statistics.fmean(values)
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        summary.append({c: "" for c in RESULT_COLUMNS} | dict(
            estimator=label, is_bound=False, snr_db=snr, model=model, nmse_db=f"{mean:.4f}",
            nmse_db_lo=f"{mean - std:.4f}", nmse_db_hi=f"{mean + std:.4f}",
            nmse_db_std=f"{std:.4f}", nmse_db_min=f"{min(values):.4f}",
            nmse_db_max=f"{max(values):.4f}", seeds=len(values)))
    return per_seed, summary


def scenario_dict(path: str | Path, **changes) -> dict:
    """A scenario YAML as a dict with top-level sections replaced by ``changes``."""
    d = load_config(Path(path)).to_dict()
    d.update(copy.deepcopy(changes))
    return d


def study_arguments(doc: str, out: str, samples: int, estimators: list[str] | None = None,
                    samples_help: str = "test grids") -> argparse.ArgumentParser:
    """The options every study shares: --out, --samples, --tiny and, for studies of a list
    of estimators, --estimators and --checkpoint (a network to add)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--out", default=str(REPO / "results" / out), help="output folder")
    ap.add_argument("--samples", type=int, default=samples, help=samples_help)
    if estimators is not None:
        ap.add_argument("--estimators", default=",".join(estimators))
        ap.add_argument("--checkpoint", default=None, help="also this network (estimator spec)")
    ap.add_argument("--tiny", action="store_true", help="smoke-test sizes (seconds)")
    return ap


class Study:
    """Progress, resumable steps and outputs of one study run in ``out``."""

    def __init__(self, out: str | Path, steps: int):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.steps, self.done, self.t0 = steps, 0, time.time()

    def log(self, what: str, skipped: bool = False) -> None:
        if skipped:
            print(f"[{self.done}/{self.steps}] {what}: finished, skipped", flush=True)
        else:
            print(f"[{self.done}/{self.steps}] {what} ({time.time() - self.t0:.0f} s)",
                  flush=True)

    def step(self, what: str, skipped: bool) -> None:
        self.done += 1
        self.log(what, skipped)

    def dataset(self, part: str, scenario: dict, samples: int) -> Path:
        """``OUT/data/<part>.h5``: ``samples`` grids of ``scenario`` (a scenario dict)."""
        from chanest.data.simulate import Simulator
        from chanest.data.writer import DatasetWriter

        path = self.out / "data" / f"{part}.h5"
        if path.exists():
            self.step(f"simulate {part}", True)
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        sim = Simulator(parse_config(scenario, source=part))
        DatasetWriter(path, sim, samples).run()
        self.step(f"simulated {samples} grids -> {path.relative_to(self.out)}", False)
        return path

    @staticmethod
    def pilots(data: Path) -> int:
        """Pilots per grid of a dataset."""
        from chanest.data.dataset import open_dataset

        with open_dataset([str(data)]) as ds:
            return int(ds.mask.sum())

    def evaluate(self, part: str, data: Path, estimators: list[str],
                 fit_data: Path | None = None, options: dict | None = None,
                 device: str = "cpu", **link) -> Path:
        """``OUT/parts/<part>/results.csv`` of ``estimators`` on ``data`` on ``device``;
        ``options`` {name: {option: value}} for the NMSE evaluation; ``link`` options
        (``metric="bler"``, ``modulation``, ``code_rate``, ``min_errors``, ``max_grids``)
        evaluate BER/BLER with :func:`chanest.link.evaluate.evaluate_link` instead of NMSE."""
        folder = self.out / "parts" / part
        if (folder / "results.csv").exists():
            self.step(f"evaluate {part}", True)
            return folder / "results.csv"
        import functools

        from chanest.evaluation.evaluate import evaluate

        runner = functools.partial(evaluate, options=options) if options else None
        if link:
            from chanest.link.evaluate import evaluate_link

            runner = functools.partial(evaluate_link, **link)
        evaluate_to_dir([str(data)], list(estimators), folder, device, progress=False,
                        fit_data=[str(fit_data)] if fit_data else None, runner=runner)
        self.step(f"evaluated {len(estimators)} estimators on {part}", False)
        return folder / "results.csv"

    def train(self, experiment: dict, device: str = "cpu") -> Path:
        """Train (resume, or skip when finished) an experiment dict into ``OUT/runs`` on
        ``device``; returns the best checkpoint stem."""
        exp = copy.deepcopy(experiment)
        exp["out_dir"] = str(self.out / "runs")
        name = exp["name"]
        path = self.out / "experiments" / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(exp, sort_keys=False))
        run = self.out / "runs" / name
        last = run / "last.json"
        if last.exists() and json.loads(last.read_text())["state"]["finished"]:
            self.step(f"train {name}", True)
            return run / "best"
        cmd = [sys.executable, str(REPO / "cli.py"), "train", "--config", str(path),
               "--device", device, "--quiet"]
        if last.exists():
            cmd.append("--resume")
        self.log(f"training {name}")
        subprocess.run(cmd, check=True, cwd=REPO)
        self.step(f"trained {name}", False)
        return run / "best"

    def join(self, parts: list[tuple[Path, dict]], name: str = "results.csv") -> Path:
        """Join part tables into ``OUT/<name>``, each row prefixed by its part's columns."""
        extra = list(dict.fromkeys(k for _, cols in parts for k in cols))
        rows = []
        for table, cols in parts:
            with open(table, newline="") as fh:
                rows += [{**dict.fromkeys(extra, ""), **cols, **row}
                         for row in csv.DictReader(fh)]
        columns = extra + RESULT_COLUMNS + [c for c in dict.fromkeys(k for r in rows for k in r)
                                            if c not in RESULT_COLUMNS and c not in extra]
        path = self.out / name
        write_csv(path, rows, columns)
        return path

    def figure(self, tables, name: str, **kwargs) -> list[Path]:
        """``OUT/<name>.pdf/.png/.csv`` via :func:`chanest.plots.results.plot_results`."""
        from chanest.plots.results import plot_results

        paths = plot_results(tables, self.out / name, **kwargs)
        print(f"figure {paths[0]} (+ .png, .csv)", flush=True)
        return paths
