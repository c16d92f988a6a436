"""The CUDA paths end to end in one short run, with one report (``sims/gpu_check.sh``).

Steps, each in its own process with its own time limit, so a crash or a hang in one is
reported and the next still runs:

* ``simulate``: test, training and validation sets simulated on the device;
* ``train-amp-compile``: one of two epochs of a small CENet on grids simulated on the
  device, with bf16 autocast, ``channels_last`` and ``torch.compile``;
* ``resume``: the second epoch of that run from its ``last`` checkpoint;
* ``train-dataset``: ReEsNet on the stored sets, read through the DataLoader (reader
  processes, pinned memory);
* ``deterministic``: the same small run twice with ``train.deterministic: true``; passes
  when the two weight sets are identical bit for bit;
* ``evaluate``: LS, LMMSE, the adaptive LMMSE, the shipped ``pretrained:cenet-lte-mixture``,
  the network trained above and the bound on the test set; then the same as 2 shards
  merged, which must equal it byte for byte;
* ``zoo``: two training steps of every network of the learned-estimator zoo
  (``configs/studies/zoo/lte-mixture.yaml``, at its full size on a GPU) and of the shipped
  ArrayNet's configuration on 16-port UMi grids;
* ``complexity``: ``complexity --device`` on 72×14;
* ``bench-neural``: ``benchmarks/bench_neural.py --device``;
* ``pytest-cuda``: the tests marked ``cuda``.

The report (``report.md``, ``report.json``, one log per step in ``logs/``) lists the
versions, the device, each step's status, time and, for a failure, the end of its
output with the traceback. Exit status: 0 every step passed, 1 a step failed, 2 no GPU
(nothing run; ``--cpu`` runs the steps on the CPU at smaller sizes, to check this
script). Nothing is downloaded.

Run: ``python sims/gpu_check.py [OUT] [--cpu] [--budget SECONDS]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ESTIMATORS = "ls-linear,lmmse,lmmse-adaptive,pretrained:cenet-lte-mixture,genie-lmmse"

#: sizes on a GPU and, with --cpu, on a CPU
SIZES = {"gpu": {"test": 4096, "train": 8192, "val": 1024, "epoch": 8192, "batch": 256,
                 "channels": 32, "blocks": 4, "bench_steps": 5},
         "cpu": {"test": 256, "train": 256, "val": 64, "epoch": 256, "batch": 64,
                 "channels": 8, "blocks": 1, "bench_steps": 1}}

#: (step, time limit [s] on a GPU; three times that with --cpu) in running order
STEPS = [("simulate", 90), ("train-amp-compile", 180), ("resume", 120),
         ("train-dataset", 90), ("deterministic", 120), ("evaluate", 120), ("zoo", 180),
         ("complexity", 90), ("bench-neural", 120), ("pytest-cuda", 120)]


# -- the steps (each runs in a process of its own: ``--step NAME``) ----------------------

def _cli(work: Path, *args) -> None:
    subprocess.run([sys.executable, str(REPO / "cli.py"), *map(str, args)], check=True,
                   cwd=work)


def _experiment(work: Path, name: str, sizes: dict, **train) -> dict:
    return {"name": name, "out_dir": str(work / "runs"), "seed": 1,
            "model": {"name": "cenet", "kwargs": {"channels": sizes["channels"],
                                                  "blocks": sizes["blocks"]}},
            "data": {"simulate": str(REPO / "configs" / "default.yaml"),
                     "samples_per_epoch": sizes["epoch"], "val_samples": sizes["val"]},
            "train": {"epochs": 2, "batch_size": sizes["batch"], "patience": None,
                      "amp": "off", **train}}


def _trainer(work, name, sizes, device, resume=False, **train):
    from chanest.training.experiment import parse_experiment
    from chanest.training.loop import Trainer

    exp = parse_experiment(_experiment(work, name, sizes, **train))
    return Trainer(exp, device=device, resume=resume, progress=False)


def _digest(model) -> str:
    from chanest.models.io import unwrap

    h = hashlib.sha256()
    for key, value in sorted(unwrap(model).state_dict().items()):
        h.update(key.encode() + value.detach().cpu().numpy().tobytes())
    return h.hexdigest()


def step_simulate(work: Path, device: str, sizes: dict) -> str:
    for name, n in (("test", sizes["test"]), ("train", sizes["train"]), ("val", sizes["val"])):
        config = [] if name == "test" else ["--config", REPO / "configs" / "channelnet-veha.yaml"]
        _cli(work, "simulate", *config, "-n", n, "--out", work / f"{name}.h5", "--device",
             device, "-q", "--overwrite")
    return f"{sizes['test']} + {sizes['train']} + {sizes['val']} grids on {device}"


def step_train_amp_compile(work: Path, device: str, sizes: dict) -> str:
    trainer = _trainer(work, "amp", sizes, device, amp="bf16", channels_last=True,
                       compile=True)
    summary = trainer.fit(max_epochs=1)
    return (f"epoch {summary['epochs']} of 2, autocast {trainer.amp_dtype}, channels_last, "
            f"{type(trainer.net).__name__}")


def step_resume(work: Path, device: str, sizes: dict) -> str:
    trainer = _trainer(work, "amp", sizes, device, resume=True, amp="bf16",
                       channels_last=True, compile=True)
    start = trainer.state.global_epoch
    summary = trainer.fit()
    log = (work / "runs" / "amp" / "log.csv").read_text().splitlines()
    if start != 1 or summary["epochs"] != 2 or len(log) != 3:
        raise RuntimeError(f"resumed at epoch {start}, ended at {summary['epochs']}, "
                           f"{len(log) - 1} log rows")
    return f"resumed at epoch 1, best {summary['best_val_score_db']:.2f} dB"


def step_train_dataset(work: Path, device: str, sizes: dict) -> str:
    import yaml

    exp = {"name": "dataset", "out_dir": str(work / "runs"),
           "model": {"name": "reesnet", "kwargs": {"filters": 8, "blocks": 2}},
           "data": {"train": str(work / "train.h5"), "val": str(work / "val.h5"), "workers": 2},
           "train": {"epochs": 1, "batch_size": sizes["batch"]}}
    path = work / "dataset.yaml"
    path.write_text(yaml.safe_dump(exp))
    _cli(work, "train", "--config", path, "--device", device, "-q", "--overwrite")
    return "1 epoch through the DataLoader (2 reader processes)"


def step_deterministic(work: Path, device: str, sizes: dict) -> str:
    small = {**sizes, "epoch": sizes["epoch"] // 2}
    digests = []
    for name in ("det-a", "det-b"):
        trainer = _trainer(work, name, small, device, epochs=1, deterministic=True)
        trainer.fit()
        digests.append(_digest(trainer.model))
    if digests[0] != digests[1]:
        raise RuntimeError(f"two deterministic runs differ: {digests[0][:16]} vs "
                           f"{digests[1][:16]}")
    return f"two runs, identical weights (sha256 {digests[0][:16]}…)"


def step_evaluate(work: Path, device: str, sizes: dict) -> str:
    names = f"{ESTIMATORS},ckpt:{work / 'runs' / 'amp' / 'best'}"
    common = ["--data", work / "test.h5", "--estimators", names, "--device", device, "-q",
              "--overwrite", "--batch-size", sizes["test"] // 4]
    _cli(work, "evaluate", *common, "--out", work / "eval")
    for i in range(2):
        _cli(work, "evaluate", *common, "--out", work / "shards", "--shard", f"{i}/2")
    _cli(work, "evaluate", "--merge", work / "shards", "--out", work / "merged", "--overwrite")
    for table in ("results.csv", "paired.csv"):
        if (work / "eval" / table).read_bytes() != (work / "merged" / table).read_bytes():
            raise RuntimeError(f"merged shards' {table} differs from one process's")
    shutil.copy(work / "eval" / "results.csv", work / "evaluate-results.csv")
    return "6 estimators; 2 shards merged equal one process"


def step_zoo(work: Path, device: str, sizes: dict) -> str:
    import yaml
    from zoo import experiment

    from chanest.training.experiment import parse_experiment
    from chanest.training.loop import Trainer

    cfg = yaml.safe_load((REPO / "configs/studies/zoo/lte-mixture.yaml").read_text())
    batch = sizes["batch"]
    budget = {"epochs": 2, "samples_per_epoch": batch, "val_samples": batch,
              "batch_size": batch, "lr": 1.0e-3}
    runs = [experiment(cfg, net, 0, budget, tiny=device == "cpu") for net in cfg["networks"]]
    array = yaml.safe_load((REPO / "configs/experiments/pretrained/"
                            "arraynet-umi-panel16.yaml").read_text())
    array["data"].update(simulate=str(REPO / array["data"]["simulate"]),
                         samples_per_epoch=8, val_samples=8)
    array["train"].update(epochs=2, batch_size=8)
    for exp in [*runs, array]:
        exp["out_dir"] = str(work / "zoo")
        Trainer(parse_experiment(exp), device=device, progress=False).fit()
    return f"{len(runs)} zoo networks and ArrayNet, two steps each"


def step_complexity(work: Path, device: str, sizes: dict) -> str:
    _cli(work, "complexity", "--grids", "72x14", "--estimators",
         "ls-linear,lmmse,lmmse-adaptive,pretrained:cenet-lte-mixture", "--no-architectures",
         "--seconds", "0.2", "--device", device, "--out", work / "complexity.csv")
    return "72x14, 4 estimators"


def step_bench_neural(work: Path, device: str, sizes: dict) -> str:
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_neural.py"), "--device",
                    device, "--steps", str(sizes["bench_steps"])], check=True, cwd=work)
    return f"{sizes['bench_steps']} steps per measurement"


def step_pytest_cuda(work: Path, device: str, sizes: dict) -> str:
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m",
                    "cuda", str(REPO / "tests")], check=True, cwd=REPO)
    return "tests marked cuda"


# -- the driver ------------------------------------------------------------------------

def _versions() -> dict:
    out = {"python": platform.python_version(), "platform": platform.platform()}
    try:
        import torch

        out.update(torch=torch.__version__, cuda=torch.version.cuda,
                   cudnn=torch.backends.cudnn.version() if torch.cuda.is_available() else None,
                   cuda_available=torch.cuda.is_available())
        if torch.cuda.is_available():
            props = torch.cuda.get_device_properties(0)
            out.update(device_name=props.name, device_count=torch.cuda.device_count(),
                       memory_gib=round(props.total_memory / 2**30, 1),
                       capability=f"{props.major}.{props.minor}")
        from chanest.versions import versions

        out.update({f"{k}_package": v for k, v in versions().items()})
    except Exception:  # the report says what could not be imported
        out["import_error"] = traceback.format_exc(limit=3)
    smi = shutil.which("nvidia-smi")
    if smi:
        res = subprocess.run([smi, "--query-gpu=name,driver_version,memory.total",
                              "--format=csv,noheader"], capture_output=True, text=True)
        out["nvidia_smi"] = (res.stdout or res.stderr).strip()
    return out


def _run_step(name: str, limit: float, work: Path, logs: Path, args) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--step", name, "--work", str(work)]
    if args.cpu:
        cmd.append("--cpu")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    log = logs / f"{name}.log"
    start = time.perf_counter()
    with open(log, "w") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=work,
                                start_new_session=True)
        try:
            code = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            code = None
    seconds = round(time.perf_counter() - start, 1)
    text = log.read_text(errors="replace")
    note = next((line[len("RESULT "):] for line in reversed(text.splitlines())
                 if line.startswith("RESULT ")), "")
    status = "passed" if code == 0 else ("timed out" if code is None else "failed")
    entry = {"step": name, "status": status, "seconds": seconds, "note": note,
             "log": f"logs/{name}.log"}
    if status != "passed":
        entry["tail"] = "\n".join(text.splitlines()[-60:])
    return entry


def _write_report(out: Path, report: dict) -> None:
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = ["# chanest GPU check", "", f"- result: **{report['result']}**",
             f"- device: {report['device']}", f"- total: {report['seconds']} s", "",
             "## Versions", ""]
    lines += [f"- {k}: {v}" for k, v in report["versions"].items()]
    lines += ["", "## Steps", "", "| step | status | seconds | note |", "|---|---|---:|---|"]
    lines += [f"| {s['step']} | {s['status']} | {s['seconds']} | {s['note']} |"
              for s in report["steps"]]
    for s in report["steps"]:
        if "tail" in s:
            lines += ["", f"### {s['step']}: {s['status']} (end of {s['log']})", "", "```",
                      s["tail"], "```"]
    (out / "report.md").write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", nargs="?", default=None,
                    help="report folder (default: $OUT, else results/gpu-check)")
    ap.add_argument("--cpu", action="store_true", help="run the steps on the CPU, smaller")
    ap.add_argument("--budget", type=float, default=450,
                    help="seconds for all steps; a step that no longer fits is skipped")
    ap.add_argument("--work", default=None, help="folder for data and runs (default: temp)")
    ap.add_argument("--step", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))  # this checkout's chanest
    device = "cpu" if args.cpu else "cuda"
    sizes = SIZES["cpu" if args.cpu else "gpu"]
    if args.step:  # one step, in its own process
        note = globals()["step_" + args.step.replace("-", "_")](Path(args.work), device, sizes)
        print(f"RESULT {note}", flush=True)
        return 0
    out = Path(args.out or os.environ.get("OUT") or "results/gpu-check")
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    work = Path(args.work or tempfile.mkdtemp(prefix="chanest-gpu-check-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    versions = _versions()
    report = {"device": versions.get("device_name", "cpu") if not args.cpu else "cpu (--cpu)",
              "versions": versions, "steps": [], "work": str(work)}
    if not args.cpu and not versions.get("cuda_available"):
        report.update(result="no GPU: torch.cuda.is_available() is False; nothing was run "
                      "(--cpu runs the steps on the CPU)", seconds=0.0)
        _write_report(out, report)
        print(f"no CUDA GPU; report in {out}/report.md", file=sys.stderr)
        return 2
    for name, limit in STEPS:
        left = args.budget - (time.perf_counter() - started)
        if left < min(limit, 30):
            report["steps"].append({"step": name, "status": "skipped", "seconds": 0,
                                    "note": f"time budget ({args.budget:g} s) spent"})
            continue
        limit = limit * 3 if args.cpu else limit
        entry = _run_step(name, min(limit, left), work, logs, args)
        report["steps"].append(entry)
        print(f"{name}: {entry['status']} in {entry['seconds']} s {entry['note']}", flush=True)
    failed = [s["step"] for s in report["steps"] if s["status"] != "passed"]
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["result"] = "every step passed" if not failed else f"not passed: {', '.join(failed)}"
    _write_report(out, report)
    print(f"{report['result']}; report in {out}/report.md")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
