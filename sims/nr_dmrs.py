"""5G NR DM-RS study: the setting of the MATLAB 5G Toolbox deep-learning channel-estimation
example (624x14 slot at 30 kHz, PUSCH DM-RS type 1 with one additional position, TDL-A...E
with delay spread 1-300 ns and maximum Doppler 5-400 Hz drawn per grid).

    python sims/nr_dmrs.py [--out results/nr-dmrs] [--samples 450] [--estimators a,b,...]
                           [--checkpoint SPEC] [--tiny]

Simulates one test set of configs/nr-dmrs-tdl.yaml at SNR -5, 0, ..., 35 dB (a seed no
training run uses), evaluates the shipped network ``pretrained:cenet-nr-dmrs`` (trained on
this scenario) and, optionally, another network against LS, DFT and the LMMSE variants and
the genie bound on the same grids. The genie bound builds a 624-pilot filter per grid
(about a second each on one core), hence the modest default size. Writes to OUT:
``data/test.h5``, ``parts/test/`` (evaluate's tables), ``results.csv``,
``nmse.pdf/.png/.csv`` (all TDL profiles together), ``nmse_per_profile.pdf/.png/.csv``
(one panel per profile) and ``grid.pdf/.png`` (true |H|, the network's estimate and its
error on one test grid, as the example's figure of the practical estimate). Finished steps
are skipped when run again.
"""

from __future__ import annotations

from _common import REPO
from _study import Study, scenario_dict, study_arguments

NETWORK = "pretrained:cenet-nr-dmrs"
ESTIMATORS = ["ls-linear", "dft", "lmmse-separable", "lmmse-robust", "lmmse-adaptive", "lmmse",
              NETWORK, "genie-lmmse"]
SNRS = [-5.0, 0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0]


def _grid_figure(study: Study, data, spec: str, sample: int) -> None:
    """grid.pdf/.png: one test grid (the first at the highest SNR) with ``spec``'s estimate."""
    from chanest.data.dataset import open_dataset
    from chanest.estimators.base import observe
    from chanest.estimators.registry import build_estimator
    from chanest.plots.grid import plot_grid

    if (study.out / "grid.png").exists():
        return
    with open_dataset([str(data)]) as ds:
        b = ds.read(sample, sample + 1)
        h_hat = build_estimator(spec, ds.context()).estimate(observe(b)).h_hat
        title = (f"{ds.labels[int(b.model[0])]}, SNR {float(b.snr_db[0]):.0f} dB, max. Doppler "
                 f"{float(b.doppler[0]):.0f} Hz, RMS delay spread "
                 f"{float(b.delay_spread[0]) * 1e9:.0f} ns")
        plot_grid(b.h[0, 0].numpy(), ds.mask, study.out / "grid", title,
                  h_hat[0, 0].numpy(), spec.split(":")[-1])


def main(argv=None) -> int:
    ap = study_arguments(__doc__, "nr-dmrs", 450, ESTIMATORS, "test grids (spread over SNRs)")
    args = ap.parse_args(argv)
    names = args.estimators.split(",") + ([args.checkpoint] if args.checkpoint else [])
    if args.tiny:
        names, args.samples = ["ls-linear", NETWORK], 18
    study = Study(args.out, 2)
    test = scenario_dict(REPO / "configs/nr-dmrs-tdl.yaml", seed=624_999,
                         noise={"snr_db": SNRS})
    data = study.dataset("test", test, args.samples)
    table = study.evaluate("test", data, names)
    study.join([(table, {})])
    study.figure(table, "nmse", model="all", title="5G NR 624x14, DM-RS, TDL-A...E",
                 labels={NETWORK: "CENet (shipped)"})
    study.figure(table, "nmse_per_profile", size="double", title="",
                 labels={NETWORK: "CENet (shipped)"})
    network = args.checkpoint or (NETWORK if NETWORK in names else None)
    if network:
        _grid_figure(study, data, network, len(SNRS) - 1)  # cycled SNRs: sample 8 is 35 dB
        print(f"figure {study.out / 'grid.pdf'} (+ .png)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
