"""The learned-estimator zoo: every architecture on one scenario, budget and objective.

    python sims/zoo.py [--config configs/studies/zoo/lte-mixture.yaml] [--budget cpu]
                       [--networks cenet,score,...] [--seeds 0,1,2] [--out results/zoo]
                       [--tiny]

For each network of the config (ChannelNet, ReEsNet, CENet, InReEsNet, the axial
attention model, MTRE, DDAE and the score model, on the linear interpolation and, as
``NAME-lmmse``, correcting the adaptive LMMSE) and each training seed of the budget, one
training with the same fresh-grid stream (the scenario seeded by the training seed), the
same objective (``loss``) and the same budget (``epochs`` x ``samples_per_epoch`` grids,
``batch_size``, ``lr``, cosine schedule, no early stop). With 2 epochs or more the score
model spends half of them in its ``denoiser`` stage and the rest end to end; the others
train in one stage. ``--device`` (default cpu) trains and evaluates there; complexity is
always measured on the CPU.
Every network and the classical rows (the config's ``classical`` list; by default ls-linear,
lmmse-robust, lmmse-adaptive, the nominal ``lmmse`` reference and the ``genie-lmmse`` bound)
are then evaluated on one test set (``test_grids`` grids of the scenario, another seed, SNRs
``test_snr_db``); a bound or reference row is labelled as such in ``zoo.md``.

Writes to OUT: ``runs/<network>-seed<k>/``, ``data/test.h5``, ``parts/test/`` (evaluate's
tables of the classical rows) and ``parts/test-<network>-seed<k>/`` (one per trained network),
``test.csv`` (the parts joined), ``seeds.csv`` (NMSE per network, seed, SNR), ``summary.csv`` (the
classical rows as evaluated and one row per network and SNR: mean over the seeds,
lo/hi = mean ∓ one standard deviation), ``complexity.csv`` (parameters, counted MACs per
grid, batch-1 latency and throughput on this CPU, via :mod:`chanest.evaluation.complexity`,
for the seed-0 network of each kind), ``zoo.md`` (a table per SNR: networks ranked by mean
NMSE with their spread, gap to the best network, a ``tie`` where the gap is within the
larger of the two spreads, and complexity; then the classical rows) and
``nmse.pdf/.png/.csv`` (mean ± std over the seeds); ``gain.pdf/.png/.csv``: the
networks on ``lmmse-adaptive`` with the bound or reference, as NMSE differences to
``lmmse-adaptive`` (negative = better), and ``gain-ls-linear.*`` the same for the other
networks (the linear interpolation or the pilots alone as input) against ``ls-linear``.
Finished steps are skipped when run again. ``--tiny`` shrinks every network and the budget
to a smoke run of two networks.
"""

from __future__ import annotations

import csv
import math
from dataclasses import asdict
from pathlib import Path

import yaml
from _common import REPO, write_csv
from _study import SEED_COLUMNS, Study, scenario_dict, seed_summary, study_arguments

from chanest.evaluation.evaluate import RESULT_COLUMNS

#: the classical rows, unless the config names its own (``classical:``)
CLASSICAL = ["ls-linear", "lmmse-robust", "lmmse-adaptive", "lmmse", "genie-lmmse"]
#: smoke-run sizes (``--tiny``) of each architecture
TINY_KWARGS = {"channelnet": {"dncnn_depth": 3}, "reesnet": {"filters": 4, "blocks": 1},
               "cenet": {"channels": 4, "blocks": 1}, "inreesnet": {"filters": 4, "blocks": 1},
               "attention": {"dim": 8, "heads": 2, "blocks": 1},
               "mtre": {"dim": 8, "heads": 2, "blocks": 1}, "ddae": {"widths": [4, 8]},
               "score": {"channels": 4, "blocks": 1, "steps": 2},
               "arraynet": {"channels": 4, "blocks": 1}}
TINY_BUDGET = {"seeds": [0, 1], "epochs": 2, "samples_per_epoch": 32, "val_samples": 16,
               "batch_size": 16, "lr": 1.0e-3, "test_grids": 16}
TINY_NETWORKS = ["cenet", "score-lmmse"]
COMPLEXITY_KEYS = ["parameters", "macs_per_grid", "latency_ms", "throughput_grids_per_s"]


def _stages(name: str, epochs: int) -> dict:
    """The training stages: the score model's denoiser stage takes half the epochs."""
    if name == "score" and epochs >= 2:
        return {"stages": [{"stage": "denoiser", "epochs": epochs // 2},
                           {"stage": "all", "epochs": epochs - epochs // 2}]}
    return {"epochs": epochs}


def experiment(cfg: dict, network: str, seed: int, budget: dict, tiny: bool) -> dict:
    """The training experiment of ``network`` with training seed ``seed``."""
    spec = cfg["networks"][network]
    kwargs = dict(spec.get("kwargs") or {})
    if tiny:
        kwargs.update(TINY_KWARGS[spec["name"]])
    return {"name": f"{network}-seed{seed}", "seed": seed,
            "model": {"name": spec["name"], "kwargs": kwargs},
            "data": {"simulate": str(REPO / cfg["scenario"]),
                     "samples_per_epoch": budget["samples_per_epoch"],
                     "val_samples": budget["val_samples"]},
            "train": {**_stages(spec["name"], budget["epochs"]),
                      "batch_size": budget["batch_size"], "lr": budget["lr"],
                      "schedule": "cosine", "patience": None, "loss": cfg["loss"]}}


def complexity(study: Study, test: dict, checkpoints: dict[str, Path], tiny: bool) -> Path:
    """``OUT/complexity.csv``: one row per network (its ``ckpt:`` estimator) on this CPU."""
    from chanest.data.context import context_from_simulator
    from chanest.data.simulate import Simulator
    from chanest.estimators.registry import build_estimator
    from chanest.evaluation.complexity import COLUMNS, measure

    path = study.out / "complexity.csv"
    sim = Simulator(parse(test))
    ctx, sample = context_from_simulator(sim), sim.generate(8)
    rows = []
    for network, stem in checkpoints.items():
        est = build_estimator(f"ckpt:{stem}", ctx)
        row = measure(est, network, "x".join(map(str, ctx.mask.shape[::-1])), sample.y,
                      sample.no, 4 if tiny else 64, 0.05 if tiny else 1.0)
        rows.append(asdict(row))
    write_csv(path, rows, COLUMNS)
    study.step(f"measured complexity of {len(rows)} networks", False)
    return path


def parse(d: dict):
    from chanest.data.scenario import parse_config

    return parse_config(d)


def _kind(row: dict) -> str:
    """How a non-network row is labelled: its role where it is a bound or a reference."""
    role = row.get("role") or ("bound" if row.get("is_bound") == "True" else "practical")
    return role if role in ("bound", "reference") else "classical"


#: gaps up to this many dB are ties even where the seeds agree more closely (networks that
#: have not moved off a shared base differ by thousandths of a dB)
TIE_FLOOR_DB = 0.05


def _verdicts(nets: list[dict]) -> list[dict]:
    """Networks at one SNR ranked by mean NMSE, each with its gap to the best and ``tie``
    when the gap is within the larger of the two spreads or :data:`TIE_FLOOR_DB` (needs 2
    seeds or more)."""
    nets = sorted(nets, key=lambda r: float(r["nmse_db"]))
    best = nets[0]
    out = []
    for r in nets:
        gap = float(r["nmse_db"]) - float(best["nmse_db"])
        spread = max(float(r["nmse_db_std"]), float(best["nmse_db_std"]))
        several = int(r["seeds"]) > 1 and int(best["seeds"]) > 1
        if r is best:
            verdict = "best"
        elif not several:
            verdict = "(1 seed)"
        else:
            verdict = "tie" if gap <= max(spread, TIE_FLOOR_DB) else "worse"
        out.append(dict(r, gap_db=gap, verdict=verdict))
    return out


def main_group(summary: list[dict]) -> str:
    """The model group the tables and the figure show: ``all`` or the only group."""
    groups = {r["model"] for r in summary}
    return "all" if "all" in groups else sorted(groups)[0]


def markdown(summary: list[dict], comp: dict[str, dict], title: str) -> str:
    """A table per SNR (:func:`main_group`): networks ranked, then the classical rows."""
    rows = [r for r in summary if r["model"] == main_group(summary)]
    lines = [f"# {title}", ""]
    for snr in sorted({float(r["snr_db"]) for r in rows}):
        at = [r for r in rows if float(r["snr_db"]) == snr]
        lines += [f"## SNR {snr:g} dB", "",
                  "| estimator | NMSE dB (mean ± std) | seeds | gap to best dB | verdict | "
                  "params | MACs/grid | latency ms |", "|---|---|---|---|---|---|---|---|"]
        for r in _verdicts([r for r in at if r.get("seeds")]):
            c = comp.get(r["estimator"], {})
            lines.append(
                f"| {r['estimator']} | {float(r['nmse_db']):.2f} ± "
                f"{float(r['nmse_db_std']):.2f} | {r['seeds']} | {r['gap_db']:.2f} | "
                f"{r['verdict']} | {int(c.get('parameters', 0)):,} | "
                f"{float(c.get('macs_per_grid', math.nan)):.3g} | "
                f"{float(c.get('latency_ms', math.nan)):.3g} |")
        for r in (r for r in at if not r.get("seeds")):
            lines.append(f"| {r['estimator']} | {float(r['nmse_db']):.2f} | | | "
                         f"{_kind(r)} | | | |")
        lines += ["", best_line(at), ""]
    return "\n".join(lines)


def best_line(at: list[dict]) -> str:
    """The best network at one SNR with its margins (dB, positive = better) over
    ``lmmse-adaptive`` and over the best CENet entry, where those rows exist."""
    nets = sorted((r for r in at if r.get("seeds")), key=lambda r: float(r["nmse_db"]))
    if not nets:
        return "No network at this SNR."
    best, parts = nets[0], []
    adaptive = [r for r in at if r["estimator"] == "lmmse-adaptive"]
    cenets = [r for r in nets if r["estimator"].startswith("cenet")]
    for label, rows in (("`lmmse-adaptive`", adaptive), ("the best CENet", cenets)):
        if rows:
            margin = float(rows[0]["nmse_db"]) - float(best["nmse_db"])
            parts.append(f"{margin:+.2f} dB over {label} ({rows[0]['estimator']})")
    return f"Best network: **{best['estimator']}**" + (f", {'; '.join(parts)}." if parts
                                                        else ".")


#: the gain figures: file stem → (the row every other row is drawn relative to, title)
GAIN_FIGURES = {"gain": ("lmmse-adaptive", "networks on lmmse-adaptive"),
                "gain-ls-linear": ("ls-linear", "networks on the interpolation or the pilots")}


def on_base(cfg: dict, summary: list[dict], reference: str) -> list[str]:
    """What a gain figure draws against ``reference``: the classical rows named after it
    (``lmmse-adaptive*``) and the bound and reference rows, then the networks built on it:
    for ``lmmse-adaptive`` those whose base is ``lmmse-adaptive`` (their ``base`` argument,
    or the model's default), for any other reference every other network."""
    import inspect

    from chanest.models.registry import MODELS

    def on_adaptive(spec: dict) -> bool:
        given = (spec.get("kwargs") or {}).get("base")
        param = inspect.signature(MODELS[spec["name"]]).parameters.get("base")
        return (given or (param.default if param is not None else None)) == "lmmse-adaptive"

    classical = [r["estimator"] for r in summary if not r.get("seeds")
                 and (r["estimator"].startswith(reference) or _kind(r) != "classical")]
    nets = [n for n, spec in cfg["networks"].items()
            if on_adaptive(spec) == (reference == "lmmse-adaptive")]
    present = {r["estimator"] for r in summary}
    return [n for n in dict.fromkeys(classical + nets) if n in present]


def _read(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def main(argv=None) -> int:
    ap = study_arguments(__doc__, "zoo", 0)
    ap.add_argument("--config", default=str(REPO / "configs/studies/zoo/lte-mixture.yaml"))
    ap.add_argument("--budget", default="cpu", help="a budget of the config (cpu, gpu)")
    ap.add_argument("--networks", default=None, help="comma-separated (default: all)")
    ap.add_argument("--seeds", default=None, help="training seeds (default: the budget's)")
    ap.add_argument("--device", default="cpu", help="training and evaluation (cpu, cuda)")
    args = ap.parse_args(argv)
    cfg = yaml.safe_load(Path(args.config).read_text())
    if args.budget not in cfg["budgets"]:
        ap.error(f"--budget: must be one of {', '.join(cfg['budgets'])}, got {args.budget!r}")
    budget = TINY_BUDGET if args.tiny else cfg["budgets"][args.budget]
    tiny_networks = [n for n in TINY_NETWORKS if n in cfg["networks"]] or \
        list(cfg["networks"])[:2]
    networks = (args.networks.split(",") if args.networks else
                tiny_networks if args.tiny else list(cfg["networks"]))
    unknown = [n for n in networks if n not in cfg["networks"]]
    if unknown:
        ap.error(f"--networks: unknown {unknown[0]!r}; known: {', '.join(cfg['networks'])}")
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else budget["seeds"]
    samples = args.samples or budget["test_grids"]
    study = Study(args.out, 2 * len(networks) * len(seeds) + 3)
    runs, first = {}, {}
    for network in networks:
        for seed in seeds:
            best = study.train(experiment(cfg, network, seed, budget, args.tiny), args.device)
            runs[f"ckpt:{best}"] = (network, seed)
            first.setdefault(network, best)
    test = scenario_dict(REPO / cfg["scenario"], seed=2026_1206,
                         noise={"snr_db": [float(s) for s in cfg["test_snr_db"]]})
    data = study.dataset("test", test, samples)
    # the classical rows, then each trained network as its own part: one process holding
    # every network at once (42 at 624x14) outgrew 24 GB; a part per network also means an
    # added network or seed evaluates only itself
    parts = [study.evaluate("test", data, list(cfg.get("classical", CLASSICAL)),
                            device=args.device)]
    for name, (network, seed) in runs.items():
        parts.append(study.evaluate(f"test-{network}-seed{seed}", data, [name],
                                    device=args.device))
    table = study.join([(t, {}) for t in parts], "test.csv")
    per_seed, summary = seed_summary(table, runs)
    write_csv(study.out / "seeds.csv", per_seed, ["label", "seed", "snr_db", "model", "nmse_db"])
    write_csv(study.out / "summary.csv", summary, RESULT_COLUMNS + SEED_COLUMNS)
    comp_path = study.out / "complexity.csv"
    if comp_path.exists():
        study.step("complexity", True)
    else:
        complexity(study, test, first, args.tiny)
    comp = {r["estimator"]: r for r in _read(comp_path)}
    grids = budget["epochs"] * budget["samples_per_epoch"]
    title = (f"{Path(cfg['scenario']).stem}: {len(seeds)} seed(s), {grids} training grids per "
             f"network, loss {cfg['loss']}, {samples} test grids")
    (study.out / "zoo.md").write_text(markdown(summary, comp, title) + "\n")
    print(f"table {study.out / 'zoo.md'}", flush=True)
    study.figure(study.out / "summary.csv", "nmse", ci="bars", model=main_group(summary),
                 title=title, size="double")
    for stem, (reference, what) in GAIN_FIGURES.items():
        rows = on_base(cfg, summary, reference)
        if reference in rows and any(r in cfg["networks"] for r in rows):
            study.figure(study.out / "summary.csv", stem, ci="bars",
                         model=main_group(summary), estimators=rows, relative_to=reference,
                         size="double", title=f"{title}; {what}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
