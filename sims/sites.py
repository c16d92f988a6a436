"""A ray-traced site: classical estimators on the test part of the region, fitted on the
training part, and the time to simulate with a cold and a warm path cache.

    python sims/sites.py [--out results/sites] [--samples 1000] [--train-samples 2000]
                         [--train configs/sites/munich-train.yaml]
                         [--test configs/sites/munich-test.yaml] [--estimators a,b,...]
                         [--tiny]

Needs the rt extra and libLLVM >= 16 (README "Set-up"). Simulates the training and the
test part of the site (disjoint x-stripes of one region: ``split`` in the configs) and
evaluates ``ls-linear``, ``lmmse-robust``, ``lmmse-adaptive``, ``lmmse`` fitted on the
training positions (``--fit-data``: its statistics are the training set's sample
covariance) and ``genie-paths`` (the LMMSE with each grid's own traced paths: a
reference, not a bound). Writes to OUT: ``data/``, ``parts/``, ``results.csv``, the
figure ``nmse_vs_snr`` and ``timing.csv``: seconds to simulate the test set with the
traced positions cached in a fresh folder (cold: every position traced) and again from
that cache (warm). ``--tiny`` uses Sionna RT's small ``simple_street_canyon`` scene with
single-bounce tracing.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from _common import REPO, write_csv
from _study import Study, scenario_dict, study_arguments

ESTIMATORS = ["ls-linear", "lmmse-robust", "lmmse-adaptive", "lmmse", "genie-paths"]
#: the --tiny site: small scene, one bounce, few rays
TINY_CHANNEL = {"scene": "simple_street_canyon", "bs_position": [-20.0, 0.0, 20.0],
                "region": {"x": [-60.0, 60.0], "y": [-40.0, 40.0]}, "max_depth": 1,
                "samples_per_src": 10_000}


def _site(path: str, tiny: bool) -> dict:
    d = scenario_dict(path)
    if tiny:
        d["channel"]["models"][0].update(TINY_CHANNEL)
        d["chunk_size"] = 16
    return d


def _timed_simulation(scenario: dict, samples: int, folder: Path) -> dict:
    """Seconds to simulate ``samples`` grids with an empty cache, then from that cache."""
    from chanest.data.scenario import parse_config
    from chanest.data.simulate import Simulator
    from chanest.data.writer import DatasetWriter

    row = {"grids": samples, "chunk_size": scenario["chunk_size"]}
    saved = os.environ.get("CHANEST_CACHE_DIR")
    with tempfile.TemporaryDirectory(dir=folder) as cache:
        os.environ["CHANEST_CACHE_DIR"] = cache
        try:
            for run in ("cold", "warm"):
                t0 = time.perf_counter()
                sim = Simulator(parse_config(scenario, source="timing"))
                DatasetWriter(folder / f"timing-{run}.h5", sim, samples, overwrite=True).run()
                row[f"{run}_s"] = round(time.perf_counter() - t0, 2)
                (folder / f"timing-{run}.h5").unlink()
        finally:
            if saved is None:
                os.environ.pop("CHANEST_CACHE_DIR", None)
            else:
                os.environ["CHANEST_CACHE_DIR"] = saved
    return row


def main(argv=None) -> int:
    ap = study_arguments(__doc__, "sites", 1000, ESTIMATORS)
    ap.add_argument("--train-samples", type=int, default=2000,
                    help="training grids (fit lmmse)")
    ap.add_argument("--train", default=str(REPO / "configs/sites/munich-train.yaml"))
    ap.add_argument("--test", default=str(REPO / "configs/sites/munich-test.yaml"))
    args = ap.parse_args(argv)
    names = args.estimators.split(",") + ([args.checkpoint] if args.checkpoint else [])
    if args.tiny:
        args.samples, args.train_samples = 32, 64
    train, test = _site(args.train, args.tiny), _site(args.test, args.tiny)
    study = Study(args.out, 3)
    fit = study.dataset("train", train, args.train_samples)
    data = study.dataset("test", test, args.samples)
    table = study.join([(study.evaluate("test", data, names, fit_data=fit), {})])
    study.figure(table, "nmse_vs_snr", title="ray-traced site, test part of the region "
                 "(lmmse fitted on the training part)")
    timing = study.out / "timing.csv"
    if not timing.exists():
        row = _timed_simulation(test, args.samples, study.out)
        write_csv(timing, [row], list(row))
    study.log(f"timing -> {timing.relative_to(study.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
