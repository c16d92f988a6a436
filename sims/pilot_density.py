"""Pilot-density study: NMSE at one SNR vs the number of pilots, for every estimator.

    python sims/pilot_density.py [--out results/pilot-density] [--snr 20] [--samples 1000]
                                 [--scenario configs/channelnet-veha.yaml]
                                 [--estimators a,b,...] [--checkpoint ckpt:runs/X/best]
                                 [--tiny]

On the scenario's grid and channel (default: ChannelNet's 72x14 VehA) it simulates one
test set per ChannelNet lattice (8, 16, 24, 36 and 48 pilots; same seed, so the same
channels) at the one SNR and evaluates the estimators on each. A ``--checkpoint`` (any
estimator spec of a network) is evaluated where its pilot pattern fits and left out
elsewhere. Writes to OUT: ``data/<pattern>.h5``, ``parts/<pattern>/`` (evaluate's tables),
``results.csv`` (every part, with ``num_pilots`` and ``pattern`` in front) and
``nmse_vs_pilots.pdf/.png/.csv``. Finished parts are skipped when run again.
"""

from __future__ import annotations

from pathlib import Path

from _common import REPO
from _study import CLASSICAL, Study, scenario_dict, study_arguments

from chanest.schema import ConfigError

#: the ChannelNet lattices of chanest.grid.ofdm, fewest pilots first
PATTERNS = ["channelnet-8", "channelnet-16", "channelnet-24", "channelnet-36", "channelnet-48"]


def _fits(spec: str, data) -> bool:
    """Whether the network ``spec`` can run on the grids of ``data`` (its pilot pattern)."""
    from chanest.data.dataset import open_dataset
    from chanest.estimators.registry import build_estimator

    with open_dataset([str(data)]) as ds:
        try:
            build_estimator(spec, ds.context())
        except ConfigError as err:
            print(f"  {spec} left out: {err}", flush=True)
            return False
    return True


def main(argv=None) -> int:
    ap = study_arguments(__doc__, "pilot-density", 1000, CLASSICAL, "test grids per pattern")
    ap.add_argument("--scenario", default=str(REPO / "configs/channelnet-veha.yaml"))
    ap.add_argument("--snr", type=float, default=20.0, help="SNR [dB] (default 20)")
    args = ap.parse_args(argv)
    patterns, names = PATTERNS, args.estimators.split(",")
    if args.tiny:
        patterns, names, args.samples = ["channelnet-16", "channelnet-48"], \
            ["ls-linear", "lmmse", "genie-lmmse"], 32
    study = Study(args.out, 2 * len(patterns))
    parts = []
    for pattern in patterns:
        part = pattern
        scenario = scenario_dict(args.scenario, pilots={"pattern": pattern},
                                 noise={"snr_db": [args.snr]})
        data = study.dataset(part, scenario, args.samples)
        extra = [args.checkpoint] if args.checkpoint and _fits(args.checkpoint, data) else []
        table = study.evaluate(part, data, names + extra)
        parts.append((table, {"num_pilots": study.pilots(data), "pattern": pattern}))
    joined = study.join(parts)
    study.figure(joined, "nmse_vs_pilots", x="num_pilots",
                 title=f"{Path(args.scenario).stem}, SNR {args.snr:g} dB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
