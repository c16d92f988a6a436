"""Multi-user uplink study: four users on NR DM-RS ports 0-3 (two CDM groups with a
frequency cover each), a 4-antenna base station, TDL-A/C with delay spread 30-300 ns and
0-30 m/s drawn per grid (configs/uplink-dmrs-cdm.yaml).

    python sims/uplink_neural.py [--out results/uplink-neural] [--samples 1400] [--tiny]

Trains one CENet per CDM group (configs/experiments/uplink/, about 35 minutes each on one
CPU thread; the two run one after the other here), each on one user's despread pilots,
and evaluates every user with the network of its group
(``ckpt:group0|ckpt:group0|ckpt:group1|ckpt:group1``) against LS, the adaptive and nominal
LMMSE and the genie bound on the same test grids (a seed no training run uses): NMSE
(pooled over users and antennas) and the BLER of 16QAM with 5G LDPC at rate 1/2 and
joint LMMSE detection. Writes to OUT: ``data/test.h5``, ``runs/``, ``parts/``,
``results.csv`` (NMSE), ``results_bler.csv``, figures ``nmse`` and ``bler`` (.pdf/.png/.csv).
Finished steps are skipped when run again.
"""

from __future__ import annotations

import yaml
from _common import REPO
from _study import Study, scenario_dict, study_arguments

SCENARIO = REPO / "configs/uplink-dmrs-cdm.yaml"
GROUPS = [REPO / f"configs/experiments/uplink/cenet-dmrs-cdm-group{g}.yaml" for g in (0, 1)]
NMSE_ESTIMATORS = ["ls-linear", "lmmse-robust", "lmmse-adaptive", "lmmse", "genie-lmmse"]
BLER_ESTIMATORS = ["ls-linear", "lmmse-adaptive", "lmmse"]
SNRS = [0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0]


def _experiment(path, tiny: bool) -> dict:
    exp = yaml.safe_load(path.read_text())
    if tiny:
        exp["model"]["kwargs"].update(channels=4, blocks=1)
        exp["data"].update(samples_per_epoch=32, val_samples=16)
        exp["train"].update(epochs=1)
    return exp


def main(argv=None) -> int:
    ap = study_arguments(__doc__, "uplink-neural", 1400, None, "test grids (spread over SNRs)")
    args = ap.parse_args(argv)
    if args.tiny:
        args.samples = 14
    study = Study(args.out, 6)
    stems = [study.train(_experiment(p, args.tiny)) for p in GROUPS]
    network = "|".join(f"ckpt:{stems[u // 2]}" for u in range(4))
    data = study.dataset("test", scenario_dict(SCENARIO, seed=7_000_007,
                                               noise={"snr_db": SNRS}), args.samples)
    nmse = study.evaluate("test", data, [*NMSE_ESTIMATORS, network])
    bler = study.evaluate("bler", data, [*BLER_ESTIMATORS, network], metric="bler",
                          modulation="16qam", code_rate=0.5, min_errors=100,
                          max_grids=None if not args.tiny else 4)
    study.join([(nmse, {})])
    study.join([(bler, {})], name="results_bler.csv")
    labels = {network: "CENet per CDM group"}
    title = "4 users (DM-RS ports 0-3), 4 antennas, TDL-A/C"
    study.figure(nmse, "nmse", model="all", labels=labels, title=title)
    study.figure(bler, "bler", metric="bler", model="all", labels=labels, title=title)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
