"""ChannelNet reproduction: 72x14 VehA, 48 and 16 pilots, SNR 0-30 dB, one figure.

    python sims/channelnet_repro.py [--out results/channelnet-repro] [--samples 2800]
                                    [--densities 48,16] [--tiny]

The setting of Soltani et al. (2019) (configs/channelnet-veha.yaml) with the
``channelnet-48`` and ``channelnet-16`` pilot lattices. Per density it trains ChannelNet
(the paper's two stages at 22 dB), ReEsNet and CENet with the CPU-budget experiments of
configs/experiments/cpu/ (trained over SNR 0-30 dB), simulates one test set (SNR 0, 5,
..., 30 dB) and evaluates the networks against LS (linear and RBF interpolation), the
separable, robust and nominal LMMSE and the genie bound on the same grids. Writes to
OUT: ``scenarios/``, ``runs/`` (trainings), ``data/``, ``parts/p<N>/`` (evaluate's
tables per density), ``results.csv`` (both densities, ``num_pilots`` in front),
``nmse.pdf/.png/.csv`` (both densities on one figure: line style = density) and
``training.pdf/.png/.csv`` (validation NMSE per epoch of every run). Finished trainings,
test sets and evaluations are skipped when run again; an interrupted training resumes.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from _common import REPO
from _study import Study, scenario_dict, study_arguments

MODELS = {  # name → CPU-budget experiment
    "channelnet": "configs/experiments/cpu/channelnet-veha-22db.yaml",
    "reesnet": "configs/experiments/cpu/reesnet-veha.yaml",
    "cenet": "configs/experiments/cpu/cenet-veha.yaml",
}
CLASSICAL = ["ls-linear", "ls-rbf", "lmmse-separable", "lmmse-robust", "lmmse", "genie-lmmse"]
SNRS = [0, 5, 10, 15, 20, 25, 30]


def _experiment(model: str, density: int, scenario: Path, tiny: bool) -> dict:
    exp = yaml.safe_load((REPO / MODELS[model]).read_text())
    exp["name"] = f"{model}-p{density}"
    exp["data"]["simulate"] = str(scenario)
    if tiny:
        kwargs = {"cenet": dict(channels=8, blocks=1), "reesnet": dict(filters=4, blocks=1),
                  "channelnet": dict(dncnn_depth=3)}[model]
        exp["model"].setdefault("kwargs", {}).update(kwargs)
        exp["data"].update(samples_per_epoch=64, val_samples=32)
        train = exp["train"]
        if "stages" in train:
            train["stages"] = [dict(s, epochs=1) for s in train["stages"]]
        else:
            train["epochs"] = 1
        train["batch_size"] = 32
    return exp


def main(argv=None) -> int:
    ap = study_arguments(__doc__, "channelnet-repro", 2800, samples_help="test grids per density")
    ap.add_argument("--densities", default="48,16", help="pilot counts (48 and/or 16)")
    args = ap.parse_args(argv)
    densities = [int(d) for d in args.densities.split(",")]
    if args.tiny:
        args.samples = 28
    study = Study(args.out, len(densities) * (len(MODELS) + 2))
    base = REPO / "configs/channelnet-veha.yaml"
    parts, runs = [], []
    for density in densities:
        scenario = study.out / "scenarios" / f"veha-p{density}.yaml"
        scenario.parent.mkdir(parents=True, exist_ok=True)
        scenario.write_text(yaml.safe_dump(scenario_dict(
            base, pilots={"pattern": f"channelnet-{density}"}), sort_keys=False))
        ckpts = []
        for model in MODELS:
            ckpts.append(f"ckpt:{study.train(_experiment(model, density, scenario, args.tiny))}")
            runs.append(ckpts[-1][len("ckpt:"):-len("/best")])
        test = scenario_dict(scenario, seed=2019_000 + density,
                             noise={"snr_db": [float(s) for s in SNRS]})
        data = study.dataset(f"p{density}", test, args.samples)
        parts.append((study.evaluate(f"p{density}", data, CLASSICAL + ckpts),
                      {"num_pilots": density}))
    study.join(parts)
    labels = {f"ckpt:{r}/best": Path(r).name.rsplit("-p", 1)[0] for r in runs}
    tables = [p for p, _ in parts]
    study.figure(tables, "nmse", tags=[f"{d} pilots" for d in densities], labels=labels,
                 title="72x14 VehA" if len(tables) > 1 else None,
                 size="single" if args.tiny else "double")
    from chanest.plots.training import plot_training

    plot_training(runs, study.out / "training", tags=[Path(r).name for r in runs],
                  groups=[Path(r).name.rsplit("-p", 1)[0] for r in runs])
    print(f"figure {study.out / 'training.pdf'} (+ .png, .csv)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
