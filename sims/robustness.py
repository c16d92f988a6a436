"""Robustness sweeps: NMSE at one SNR vs RMS delay spread and vs maximum Doppler.

    python sims/robustness.py [--out results/robustness] [--snr 20] [--samples 500]
                              [--profile A] [--delay-spreads 25,50,...] [--dopplers 5,50,...]
                              [--fixed-delay-spread 100] [--fixed-doppler 100]
                              [--estimators a,b,...] [--checkpoint SPEC] [--tiny]

On ChannelNet's 72x14 grid with 48 pilots (configs/channelnet-veha.yaml) it replaces the
channel by 3GPP TDL-<profile> with one delay spread and one maximum Doppler per test set:
the delay-spread sweep holds the Doppler at ``--fixed-doppler``, the Doppler sweep holds
the delay spread at ``--fixed-delay-spread``. Every value is its own part (simulated and
evaluated once; skipped when run again). Writes to OUT: ``data/``, ``parts/``,
``delay_spread.csv`` and ``doppler.csv`` (results tables with ``delay_spread_ns`` and
``doppler_hz`` in front) and the figures ``nmse_vs_delay_spread`` and ``nmse_vs_doppler``
(.pdf/.png/.csv). The nominal ``lmmse`` uses the statistics of each part's own scenario
(it knows the delay spread and Doppler); ``lmmse-robust`` and ``lmmse-adaptive`` do not.
"""

from __future__ import annotations

from _common import REPO
from _study import CLASSICAL, Study, scenario_dict, study_arguments


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",") if v.strip()]


def main(argv=None) -> int:
    ap = study_arguments(__doc__, "robustness", 500, CLASSICAL, "test grids per value")
    ap.add_argument("--scenario", default=str(REPO / "configs/channelnet-veha.yaml"),
                    help="grid and pilots from this scenario")
    ap.add_argument("--snr", type=float, default=20.0)
    ap.add_argument("--profile", default="A", help="TDL profile A-E")
    ap.add_argument("--delay-spreads", default="25,50,100,200,400,800", help="[ns]")
    ap.add_argument("--dopplers", default="5,50,100,200,400,800", help="[Hz]")
    ap.add_argument("--fixed-delay-spread", type=float, default=100.0, help="[ns]")
    ap.add_argument("--fixed-doppler", type=float, default=100.0, help="[Hz]")
    args = ap.parse_args(argv)
    names = args.estimators.split(",") + ([args.checkpoint] if args.checkpoint else [])
    spreads, dopplers = _floats(args.delay_spreads), _floats(args.dopplers)
    if args.tiny:
        names, args.samples = ["ls-linear", "lmmse-robust", "lmmse", "genie-lmmse"], 32
        spreads, dopplers = spreads[:2], dopplers[:2]
    sweeps = {"delay_spread": [(v, args.fixed_doppler) for v in spreads],
              "doppler": [(args.fixed_delay_spread, v) for v in dopplers]}
    study = Study(args.out, 2 * (len(spreads) + len(dopplers)))
    for sweep, values in sweeps.items():
        parts = []
        for ds_ns, fd_hz in values:
            part = f"ds{ds_ns:g}ns-fd{fd_hz:g}Hz"
            channel = {"model": "tdl", "profile": args.profile,
                       "delay_spread_ns": [ds_ns, ds_ns], "doppler_hz": [fd_hz, fd_hz]}
            scenario = scenario_dict(args.scenario, channel=channel,
                                     noise={"snr_db": [args.snr]})
            data = study.dataset(part, scenario, args.samples)
            parts.append((study.evaluate(part, data, names),
                          {"delay_spread_ns": ds_ns, "doppler_hz": fd_hz}))
        table = study.join(parts, f"{sweep}.csv")
        fixed = (f"max. Doppler {args.fixed_doppler:g} Hz" if sweep == "delay_spread" else
                 f"delay spread {args.fixed_delay_spread:g} ns")
        # one delay spread and Doppler per test set: the nominal LMMSE knows the true
        # statistics and coincides with the bound, which it would hide without a word
        study.figure(table, f"nmse_vs_{sweep}", x=f"{sweep}_ns" if sweep == "delay_spread"
                     else "doppler_hz", title=f"TDL-{args.profile}, SNR {args.snr:g} dB, {fixed}",
                     labels={"lmmse": "lmmse (nominal = bound here)"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
