"""Multi-seed error bars: the same small training over several seeds, mean and spread per SNR.

    python sims/multiseed.py [--out results/multiseed] [--seeds 0,1,2] [--epochs 4]
                             [--samples-per-epoch 2000] [--samples 1400] [--tiny]

Trains CENet (configs/experiments/cpu/cenet-veha.yaml made smaller: 16 channels, 2 blocks,
``--epochs`` x ``--samples-per-epoch`` grids) once per training seed on ChannelNet's 72x14
VehA scenario, evaluates every seed's network with LS, the robust and nominal LMMSE and the
genie bound on one test set (SNR 0-30 dB), and summarises the networks over the seeds.
Writes to OUT: ``runs/cenet-seed<k>/``, ``data/test.h5``, ``parts/test/`` (evaluate's
tables), ``seeds.csv`` (NMSE per seed, SNR and model group), ``summary.csv`` (a results
table: the classical rows as evaluated, and one ``cenet`` row per SNR whose ``nmse_db`` is
the mean over the seeds and whose ``nmse_db_lo``/``_hi`` are mean -/+ one standard
deviation, with ``nmse_db_std``, ``_min``, ``_max`` and ``seeds``), ``nmse.pdf/.png/.csv``
(error bars: ±1 standard deviation over the seeds; classical estimators without bars) and
``training.pdf/.png/.csv``. Finished trainings and evaluations are skipped when run again.
"""

from __future__ import annotations

import yaml
from _common import REPO, write_csv
from _study import SEED_COLUMNS, Study, scenario_dict, seed_summary, study_arguments

from chanest.evaluation.evaluate import RESULT_COLUMNS

CLASSICAL = ["ls-linear", "lmmse-robust", "lmmse", "genie-lmmse"]
SNRS = [0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0]
NETWORK = "cenet"


def _experiment(seed: int, epochs: int, per_epoch: int, tiny: bool) -> dict:
    exp = yaml.safe_load((REPO / "configs/experiments/cpu/cenet-veha.yaml").read_text())
    exp.update(name=f"{NETWORK}-seed{seed}", seed=seed)
    exp["model"]["kwargs"] = dict(channels=8, blocks=1) if tiny else dict(channels=16, blocks=2)
    exp["data"]["simulate"] = str(REPO / "configs/channelnet-veha.yaml")
    exp["data"].update(samples_per_epoch=per_epoch, val_samples=max(32, per_epoch // 8))
    exp["train"].update(epochs=epochs, batch_size=32 if tiny else 64)
    return exp


def main(argv=None) -> int:
    ap = study_arguments(__doc__, "multiseed", 1400)
    ap.add_argument("--seeds", default="0,1,2", help="training seeds")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--samples-per-epoch", type=int, default=2000)
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.tiny:
        seeds, args.epochs, args.samples_per_epoch, args.samples = seeds[:2], 1, 64, 28
    study = Study(args.out, len(seeds) + 2)
    ckpts, runs = {}, []
    for seed in seeds:
        best = study.train(_experiment(seed, args.epochs, args.samples_per_epoch, args.tiny))
        ckpts[f"ckpt:{best}"] = (NETWORK, seed)
        runs.append(best.parent)
    test = scenario_dict(REPO / "configs/channelnet-veha.yaml", seed=2019_777,
                         noise={"snr_db": SNRS})
    data = study.dataset("test", test, args.samples)
    table = study.evaluate("test", data, CLASSICAL + list(ckpts))
    per_seed, summary = seed_summary(table, ckpts)
    write_csv(study.out / "seeds.csv", per_seed, ["seed", "snr_db", "model", "nmse_db"])
    write_csv(study.out / "summary.csv", summary, RESULT_COLUMNS + SEED_COLUMNS)
    spread = max((float(r["nmse_db_std"]) for r in summary if r["estimator"] == NETWORK),
                 default=0.0)  # bars shorter than a marker are hidden: say how long they are
    study.figure(study.out / "summary.csv", "nmse", ci="bars",
                 labels={NETWORK: f"CENet, {len(seeds)} seeds (std ≤ {spread:.2f} dB)"},
                 title="72x14 VehA, 48 pilots")
    from chanest.plots.training import plot_training

    plot_training(runs, study.out / "training")
    print(f"figure {study.out / 'training.pdf'} (+ .png, .csv)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
