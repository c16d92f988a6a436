"""Receive-array study: per-antenna against spatial channel estimators on CDL-C and UMi.

    python sims/arrays.py [--out results/arrays] [--samples 200] [--fit-samples 2000] [--tiny]

Estimators: per antenna ``ls-linear`` and ``lmmse-adaptive``; spatial ``lmmse-kron``
(R_s ⊗ R_tf fitted on a separate training set of the same scenario, ``simulate --seed``),
Sionna's ``lmmse-sionna`` with orders ``t-f``, ``t-f-s`` and the best of all its orders
(chosen on a third, small selection set; its covariances fitted on the training set), every
other catalog estimator marked spatial (:data:`~chanest.estimators.catalog.REGISTRY`
``spatial``), and the per-grid reference ``genie-paths`` (each grid's own rays).

Parts (each a resumable step of :mod:`_study`, in OUT):

* ``snr``: NMSE vs SNR on ``configs/arrays/cdl-ula16.yaml`` (CDL-C, 16-element ULA,
  48x14, pilots on symbols 2 and 11) → ``nmse_vs_snr.pdf``;
* ``select-<order>``: every ``lmmse-sionna`` order on the selection set →
  ``sionna_orders.csv`` (mean NMSE over SNRs; the lowest is "best");
* ``ula<A>``: NMSE at ``--snr`` vs the number of ULA elements (1, 4, 16, 64; CDL-C) →
  ``nmse_vs_antennas.pdf`` (lmmse-sionna left out: its per-example filters take seconds per
  grid at 64 antennas; lmmse-full above 16 antennas: its fitted moments would take 4.2 GB);
* ``umi``: NMSE at ``--snr`` on ``configs/arrays/umi-panel16.yaml`` binned by each grid's
  stored azimuth spread of arrival (``params/asa``, quartile bins; CDL has no angular-spread
  scaling in chanest) → ``nmse_vs_asa.pdf``;
* ``bler``: 16QAM, 5G LDPC rate 1/2 BLER on CDL-C 16-ULA at low SNRs (where the 16-antenna
  link has block errors) → ``bler.csv``;
* ``throughput.csv``: grids/s of ``lmmse-kron`` and of Sionna's best order measured in this
  process on the same grids (one thread when ``OMP_NUM_THREADS=1``).

``results.csv`` joins the NMSE parts (``part``, ``num_antennas``, ``asa_deg`` in front).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from _common import REPO, read_csv, write_csv
from _study import Study, scenario_dict, study_arguments

from chanest.estimators.catalog import REGISTRY
from chanest.estimators.sionna_lmmse import ORDERS_3D

CDL = REPO / "configs/arrays/cdl-ula16.yaml"
UMI = REPO / "configs/arrays/umi-panel16.yaml"
PER_ANTENNA = ["ls-linear", "lmmse-adaptive"]
SIONNA_ORDERS = ("t-f", "f-t", *ORDERS_3D)
#: lmmse-full's fitted moments at 64 antennas x 672 REs x 96 pilots need 4.2 GB (refused
#: above its max_gb): the antenna sweep leaves it out beyond this many antennas
FULL_MAX_ANTENNAS = 16
#: seed offsets of the training and order-selection sets (the test set keeps the config's)
FIT_SEED, SELECT_SEED = 1000, 2000


def spatial_names() -> list[str]:
    """Practical catalog estimators that use the array jointly, lmmse-kron first."""
    extra = [n for n, e in REGISTRY.items() if e.spatial and e.role == "practical"
             and n not in ("lmmse-kron", "lmmse-sionna")]
    return ["lmmse-kron", *extra]


def sionna_label(order: str) -> str:
    return f"lmmse-sionna({order})"


class ArrayStudy(Study):
    """:class:`Study` with data sets derived from one scenario and relabelled Sionna orders."""

    def data(self, part: str, config: Path, samples: int, seed_offset: int = 0,
             **changes) -> Path:
        """``samples`` grids of ``config`` with its seed + ``seed_offset`` and ``changes``."""
        scenario = scenario_dict(config, **changes)
        scenario["seed"] = int(scenario["seed"]) + seed_offset
        return self.dataset(part, scenario, samples)

    def sionna(self, part: str, data: Path, fit: Path, order: str) -> Path:
        """``lmmse-sionna`` with ``order`` (fitted on ``fit``), relabelled
        ``lmmse-sionna(order)`` in ``parts/<part>/labelled.csv``."""
        table = self.evaluate(part, data, ["lmmse-sionna"], fit_data=fit,
                              options={"lmmse-sionna": {"order": order}})
        rows = read_csv(table)
        for row in rows:
            row["estimator"] = sionna_label(order)
        path = table.with_name("labelled.csv")
        write_csv(path, rows, list(rows[0]))
        return path

    def by_asa(self, data: Path, fit: Path, names: list[str], snr_db: float) -> Path:
        """``parts/umi/asa.csv``: NMSE per quartile bin of the grids' stored ASA (the bin's
        median, degrees, in the ``asa_deg`` column) with evaluate's intervals; ``data`` is at
        the one SNR ``snr_db``."""
        from chanest.data.dataset import open_dataset
        from chanest.evaluation.evaluate import evaluate, tabulate, write_results

        folder = self.out / "parts" / "umi"
        if (folder / "asa.csv").exists():
            self.step("evaluate umi", True)
            return folder / "asa.csv"
        with open_dataset([str(data)]) as ds, open_dataset([str(fit)]) as train:
            res = evaluate(ds, names, fit_dataset=train, progress=False)
            asa = ds.read(0, len(ds)).params["asa"].double().numpy()
            labels = ds.labels
        edges = np.quantile(asa, [0.25, 0.5, 0.75])
        bins = np.digitize(asa, edges)
        centre = np.array([np.median(asa[bins == b]) for b in range(4)]).round(1)
        bounds = [e["is_bound"] for e in res.provenance["estimators"]]
        binned = tabulate(names, bounds, res.per_sample, centre[bins], res.model_group, labels,
                          res.provenance, None, 0.95)
        write_results(res, folder)
        rows = [{**r, "asa_deg": r["snr_db"], "snr_db": snr_db} for r in binned.rows]
        write_csv(folder / "asa.csv", rows, ["asa_deg", *binned.columns])
        self.step(f"evaluated {len(names)} estimators on umi, binned by ASA", False)
        return folder / "asa.csv"


def mean_nmse(table: Path) -> float:
    """Mean over the rows of a one-estimator table of nmse_db."""
    return float(np.mean([float(r["nmse_db"]) for r in read_csv(table)]))


def select_order(study: ArrayStudy, select: Path, fit: Path, orders) -> str:
    """The lmmse-sionna order with the lowest mean NMSE on the selection set; writes
    ``sionna_orders.csv``."""
    scores = {o: mean_nmse(study.sionna(f"select-{o}", select, fit, o)) for o in orders}
    write_csv(study.out / "sionna_orders.csv",
              [{"order": o, "mean_nmse_db": round(v, 3)} for o, v in scores.items()],
              ["order", "mean_nmse_db"])
    return min(scores, key=scores.get)


def throughput(study: ArrayStudy, data: Path, fit: Path, best: str) -> Path:
    """``throughput.csv``: grids/s of lmmse-kron and lmmse-sionna(best) on the grids of
    ``data`` (both fitted on ``fit``; first call of each excluded), in this process."""
    import torch

    from chanest.data.dataset import open_dataset
    from chanest.estimators.base import observe
    from chanest.estimators.registry import build_estimator

    rows = []
    with open_dataset([str(data)]) as ds, open_dataset([str(fit)]) as train:
        obs = observe(ds.read(0, len(ds)))
        for name, label, opts in [("lmmse-kron", "lmmse-kron", {}),
                                  ("lmmse-sionna", sionna_label(best), {"order": best})]:
            est = build_estimator(name, ds.context(), **opts).fit(train)
            est.estimate(type(obs)(obs.y[:1], obs.no[:1]))  # builds filters / caches
            with torch.no_grad():
                start = time.perf_counter()
                est.estimate(obs)
                seconds = time.perf_counter() - start
            rows.append({"estimator": label, "grids": len(ds), "seconds": round(seconds, 3),
                         "grids_per_s": round(len(ds) / seconds, 2),
                         "threads": torch.get_num_threads()})
    rows[0]["speedup"] = round(rows[0]["grids_per_s"] / rows[1]["grids_per_s"], 1)
    path = study.out / "throughput.csv"
    write_csv(path, rows, ["estimator", "grids", "seconds", "grids_per_s", "threads",
                           "speedup"])
    return path


def main(argv=None) -> int:
    ap = study_arguments(__doc__, "arrays", 200)
    ap.add_argument("--fit-samples", type=int, default=2000, help="training grids (fit)")
    ap.add_argument("--select-samples", type=int, default=32,
                    help="grids of the lmmse-sionna order selection set")
    ap.add_argument("--snr", type=float, default=10.0, help="SNR of the antenna and ASA parts")
    ap.add_argument("--bler-samples", type=int, default=600, help="grids of the BLER part")
    args = ap.parse_args(argv)
    antennas, orders = [1, 4, 16, 64], SIONNA_ORDERS
    fit_n, sel_n, ant_n, ant_fit = args.fit_samples, args.select_samples, args.samples // 2, \
        args.fit_samples // 4
    umi_n, bler_n, bler_snr = 2 * args.samples, args.bler_samples, [-6, -5, -4, -3, -2]
    if args.tiny:
        antennas, orders = [1, 4], ("t-f", "t-f-s")
        args.samples, fit_n, sel_n, ant_n, ant_fit, umi_n, bler_n = 8, 32, 8, 8, 16, 16, 8
        bler_snr = [-4]
    spatial = spatial_names()
    names = [*PER_ANTENNA, *spatial, "genie-paths"]
    study = ArrayStudy(args.out, 3 + len(orders) + 4 + 3 * len(antennas) + 5)  # at most

    # NMSE vs SNR on CDL-C 16-ULA; Sionna's orders chosen on a separate selection set
    test = study.data("cdl16", CDL, args.samples)
    fit = study.data("cdl16-fit", CDL, fit_n, FIT_SEED)
    select = study.data("cdl16-select", CDL, sel_n, SELECT_SEED)
    best = select_order(study, select, fit, orders)
    tables = [study.evaluate("snr", test, names, fit_data=fit)]
    for order in dict.fromkeys(["t-f", "t-f-s", best]):
        tables.append(study.sionna(f"snr-{order}", test, fit, order))
    parts = [(t, {"part": "snr", "num_antennas": 16}) for t in tables]
    study.figure(study.join(parts, "snr.csv"), "nmse_vs_snr",
                 title=f"CDL-C 100 ns, 16-ULA, 48x14 (best Sionna order: {best})")

    # NMSE vs number of antennas at one SNR
    ant_tables = []
    for a in antennas:
        array = {"type": "ula", "columns": a}
        channel = {**scenario_dict(CDL)["channel"], "array": array, "num_rx_antennas": a}
        noise = {"snr_db": [args.snr]}
        data = study.data(f"ula{a}", CDL, ant_n, 0, channel=channel, noise=noise)
        train = study.data(f"ula{a}-fit", CDL, ant_fit, FIT_SEED, channel=channel, noise=noise)
        table = study.evaluate(f"ula{a}", data, [n for n in names if a <= FULL_MAX_ANTENNAS
                                                 or n != "lmmse-full"], fit_data=train)
        ant_tables.append(table)
        parts.append((table, {"part": "antennas", "num_antennas": a}))
    joined_ant = study.join([(t, {"num_antennas": a}) for t, a in zip(ant_tables, antennas)],
                            "antennas.csv")
    study.figure(joined_ant, "nmse_vs_antennas", x="num_antennas",
                 title=f"CDL-C 100 ns, ULA, SNR {args.snr:g} dB")

    # NMSE vs angular spread of arrival (UMi, per-grid ASA)
    noise = {"snr_db": [args.snr]}
    umi = study.data("umi", UMI, umi_n, 0, noise=noise)
    umi_fit = study.data("umi-fit", UMI, fit_n, FIT_SEED, noise=noise)
    asa = study.by_asa(umi, umi_fit, names, args.snr)
    parts.append((asa, {"part": "asa", "num_antennas": 16}))
    study.figure(asa, "nmse_vs_asa", x="asa_deg",
                 title=f"UMi, 16-port panel, SNR {args.snr:g} dB, ASA quartiles")

    # BLER at low SNR (16QAM, LDPC 1/2) on CDL-C 16-ULA
    bler_data = study.data("bler", CDL, bler_n, 0, noise={"snr_db": bler_snr})
    study.evaluate("bler", bler_data, [*PER_ANTENNA, *spatial, "genie-paths"], fit_data=fit,
                   metric="bler", modulation="16qam", code_rate=0.5, min_errors=200)
    write_csv(study.out / "bler.csv", read_csv(study.out / "parts/bler/results.csv"),
              list(read_csv(study.out / "parts/bler/results.csv")[0]))

    throughput(study, select, fit, best)
    study.join(parts)
    print(open(study.out / "throughput.csv").read(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
