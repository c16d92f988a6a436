"""Ray-traced sites: a network fine-tuned on one site's training positions against the
classical estimators and the per-grid path reference, on that site's separate test
positions and on a second site it never saw; and the time to simulate with a cold and a
warm path cache.

    python sims/sites.py [--out results/sites] [--samples 1024] [--train-samples 4096]
                         [--val-samples 1024] [--train configs/sites/munich-train.yaml]
                         [--test configs/sites/munich-test.yaml]
                         [--second configs/sites/etoile-test.yaml]
                         [--experiments configs/studies/sites/cenet-site.yaml,...]
                         [--generic pretrained:cenet-lte-mixture] [--estimators a,b,...]
                         [--tiny]

Needs the rt extra and libLLVM >= 16 (README "Set-up"). Simulates the training part of
the site (and a validation set of it under another seed), its test part (disjoint
x-stripes of one region: ``split`` in the configs) and the second site; trains each
``--experiments`` network on the training part (by default CENet fine-tuned from the
generic shipped model, ``model.init``, and ArrayNet across the 4 antennas from scratch);
then evaluates on both test sets ``ls-linear``, ``lmmse-robust``, ``lmmse-adaptive``,
``lmmse`` fitted on the training positions (``--fit-data``: the training part's sample
covariance, on the second site too), the generic network, the site networks (labelled by
their experiment names) and ``genie-paths`` (the LMMSE with each grid's own traced paths:
a reference, not a bound). Each network is evaluated as a part of its own, so adding one
evaluates only it. Writes to OUT: ``data/``, ``parts/``, ``runs/``, ``results.csv``
(column ``site``), the figure ``nmse_vs_snr`` and ``timing.csv``: seconds to simulate the
test set with the traced positions cached in a fresh folder (cold: every position traced)
and again from that cache (warm). ``--tiny`` uses Sionna RT's small
``simple_street_canyon`` scene with single-bounce tracing for every site and one-epoch
networks.
"""

from __future__ import annotations

import csv
import os
import tempfile
import time
from pathlib import Path

import yaml
from _common import REPO, VAL_SEED_OFFSET, write_csv
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


#: the site networks' experiments, trained in this order
EXPERIMENTS = ["configs/studies/sites/cenet-site.yaml", "configs/studies/sites/arraynet-site.yaml"]
TINY_KWARGS = {"cenet": {}, "arraynet": {"channels": 4, "blocks": 1}}


def _network(study: Study, path: str, train: Path, val: Path, tiny: bool) -> tuple[str, str]:
    """Train (or resume, or skip) one site network: (its ``ckpt:`` estimator, its name)."""
    exp = yaml.safe_load(Path(path).read_text())
    exp["data"] = {"train": str(train), "val": str(val)}
    if tiny:
        exp["train"].update(epochs=1, batch_size=16)
        exp["model"]["kwargs"].update(TINY_KWARGS[exp["model"]["name"]])
    return f"ckpt:{study.train(exp)}", exp["name"]


def _site_name(scenario: dict) -> str:
    """'munich (test part)', 'etoile': the scene and the part of its region."""
    channel = scenario["channel"]["models"][0]
    part = (channel.get("split") or {}).get("part", "all")
    return channel["scene"] + ("" if part == "all" else f" ({part} part)")


def _labelled(table: Path, labels: dict[str, str]) -> Path:
    """Rename the networks of a joined table of this study to their labels, in place."""
    with open(table, newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    for r in rows:
        r["estimator"] = labels.get(r["estimator"], r["estimator"])
    write_csv(table, rows, fields)
    return table


def main(argv=None) -> int:
    ap = study_arguments(__doc__, "sites", 1024, ESTIMATORS)
    ap.add_argument("--train-samples", type=int, default=4096,
                    help="training grids (the network, lmmse's fit)")
    ap.add_argument("--val-samples", type=int, default=1024, help="validation grids")
    ap.add_argument("--train", default=str(REPO / "configs/sites/munich-train.yaml"))
    ap.add_argument("--test", default=str(REPO / "configs/sites/munich-test.yaml"))
    ap.add_argument("--second", default=str(REPO / "configs/sites/etoile-test.yaml"),
                    help="a site the network never saw")
    ap.add_argument("--experiments", default=",".join(str(REPO / e) for e in EXPERIMENTS),
                    help="site networks' experiment YAMLs (comma-separated)")
    ap.add_argument("--generic", default="pretrained:cenet-lte-mixture",
                    help="a network not trained on any site ('' for none)")
    args = ap.parse_args(argv)
    if args.tiny:
        args.samples, args.train_samples, args.val_samples = 32, 64, 32
    train = _site(args.train, args.tiny)
    val = dict(train, seed=train["seed"] + VAL_SEED_OFFSET)
    experiments = [e for e in args.experiments.split(",") if e]
    study = Study(args.out, 4 + len(experiments) + 2 * (1 + len(experiments)))
    fit = study.dataset("train", train, args.train_samples)
    val_data = study.dataset("val", val, args.val_samples)
    networks = dict(_network(study, e, fit, val_data, args.tiny) for e in experiments)
    if args.generic:
        networks[args.generic] = "cenet (generic)"
    names = args.estimators.split(",") + ([args.generic] if args.generic else []) + (
        [args.checkpoint] if args.checkpoint else [])
    tables = []
    for part, path in (("test", args.test), ("second", args.second)):
        scenario = _site(path, args.tiny)
        data = study.dataset(part, scenario, args.samples)
        parts = [study.evaluate(part, data, names, fit_data=fit)]
        parts += [study.evaluate(f"{part}-{label}", data, [net])
                  for net, label in networks.items() if not net.startswith("pretrained:")]
        joined = study.join([(t, {"site": _site_name(scenario)}) for t in parts],
                            name=f"results-{part}.csv")
        tables.append(_labelled(joined, networks))
    table = study.join([(t, {}) for t in tables])
    study.figure(tables, "nmse_vs_snr", tags=[_site_name(_site(p, args.tiny))
                                              for p in (args.test, args.second)],
                 size="double", labels={"lmmse": "lmmse (fitted on the training part)"},
                 title="ray-traced sites, test positions (lmmse fitted and networks trained "
                 "on the first site's training part)")
    timing = study.out / "timing.csv"
    if not timing.exists():
        row = _timed_simulation(_site(args.test, args.tiny), args.samples, study.out)
        write_csv(timing, [row], list(row))
    study.log(f"timing -> {timing.relative_to(study.out)}; table -> {table.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
