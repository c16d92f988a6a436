"""SNR sweeps: per-SNR models (ChannelNet's protocol) and/or one SNR-agnostic model,
trained on a scenario, then evaluated with the baselines on one shared test set.

Sweep YAML::

    name: veha-sweep
    scenario: configs/channelnet-veha.yaml
    per_snr: [0, 10, 20, 30]        # one model per SNR
    agnostic: true                  # one model over the scenario's SNRs
    test_samples: 7000              # test set simulated from the scenario (its own seed)
    baselines: [ls-linear, lmmse, genie-lmmse]
    experiment:                     # shared by every model (see chanest.training.experiment)
      model: {name: cenet}
      data: {samples_per_epoch: 20000, val_samples: 2000}
      train: {epochs: 30}

Layout: ``<out_dir>/<name>/{snr<S>,agnostic}/`` (training runs, resumed if
present), ``test.h5`` and ``results/`` (the evaluate table). Training grids use
seeds derived from the experiment seed; the test set uses the scenario's own
seed, so the two never coincide.

With ``--device auto`` and several visible GPUs the runs are spread over them: one
process per GPU, each taking the next untrained run (``CUDA_VISIBLE_DEVICES`` picks the
GPUs). A sweep is not started under ``torchrun`` (it starts its processes itself).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from chanest.data.scenario import load_config
from chanest.launch import torchrun_world
from chanest.schema import ConfigError, Strict, read_yaml_mapping, validate
from chanest.training.experiment import parse_experiment

__all__ = ["SweepSpec", "load_sweep", "plan_runs", "refuse_torchrun", "sweep_devices",
           "train_runs", "run_sweep"]


class SweepSpec(Strict):
    name: str = Field(default="sweep", pattern=r"^[A-Za-z0-9_.-]+$")
    out_dir: str = "runs"
    scenario: str
    per_snr: list[float] | None = None
    agnostic: bool = True
    test_data: str | list[str] | None = None
    test_samples: int = Field(default=7000, ge=1)
    baselines: list[str] = Field(default_factory=lambda: ["ls-linear", "lmmse", "genie-lmmse"])
    experiment: dict[str, Any] = Field(default_factory=dict)
    eval_batch_size: int = Field(default=512, ge=1)

    @property
    def root(self) -> Path:
        return Path(self.out_dir) / self.name


def load_sweep(path: str | Path) -> SweepSpec:
    path = Path(path)
    spec = validate(SweepSpec, read_yaml_mapping(path), path.name)
    if not spec.per_snr and not spec.agnostic:
        raise ConfigError(f"{path.name}: per_snr is empty and agnostic is false: nothing to train")
    load_config(spec.scenario)  # fail early on a bad scenario
    return spec


def plan_runs(spec: SweepSpec) -> list:
    """[(run name, Experiment)] of the sweep, validated before anything trains."""
    runs = [(f"snr{s:g}", [s]) for s in (spec.per_snr or [])]
    if spec.agnostic:
        runs.append(("agnostic", None))
    base = dict(spec.experiment)
    for key in ("name", "out_dir"):
        if key in base:
            raise ConfigError(f"experiment.{key}: set by the sweep; remove it")
    plans = []
    for run, snrs in runs:
        data = {**base.get("data", {}), "simulate": spec.scenario, "snr_db": snrs}
        data.pop("train", None)
        exp = parse_experiment({**base, "name": run, "out_dir": str(spec.root), "data": data},
                               source=f"sweep {spec.name} ({run})")
        plans.append((run, exp))
    return plans


def _train(exp, device: str, progress: bool) -> None:
    from chanest.models.checkpoint import checkpoint_paths
    from chanest.training.loop import Trainer

    resume = checkpoint_paths(exp.run_dir / "last")[1].exists()
    trainer = Trainer(exp, device=device, resume=resume, progress=progress)
    if not trainer.state.finished:
        trainer.fit()


def refuse_torchrun() -> None:
    """ConfigError under torchrun: a sweep starts its own processes, one per GPU."""
    if torchrun_world() is not None:
        raise ConfigError("sweep starts one training process per GPU itself; run it without "
                          "torchrun")


def sweep_devices(spec: str = "auto") -> list[str]:
    """The devices a sweep trains on: every visible GPU for ``auto`` (the CPU without
    one), else the one device ``spec`` names."""
    import torch

    from chanest.device import resolve_device

    if (spec or "auto").strip().lower() == "auto" and torch.cuda.device_count() > 1:
        return [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return [resolve_device(spec)]


_DEVICE = None  # the device of a sweep worker process


def _take_device(devices) -> None:
    global _DEVICE
    _DEVICE = devices.get()


def _train_in_worker(exp_dict: dict) -> tuple[str, str]:
    from chanest.training.experiment import parse_experiment as parse

    exp = parse(exp_dict)
    try:
        _train(exp, _DEVICE, progress=False)
    except ConfigError as err:  # its message whole (the argument is already in it)
        raise ConfigError(f"{exp.name}: {err}") from None
    return exp.name, _DEVICE


def train_runs(plans: list, devices: list[str], progress: bool = True, report=print) -> None:
    """Train (or resume, or skip when finished) every planned run: in this process on one
    device; with several, one worker process per device, each taking the next run, and
    ``report(line)`` as each run ends."""
    if len(devices) == 1:
        for _run, exp in plans:
            _train(exp, devices[0], progress)
        return
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")  # no CUDA state inherited
    queue = ctx.Queue()
    for device in devices:
        queue.put(device)
    with ctx.Pool(len(devices), initializer=_take_device, initargs=(queue,)) as pool:
        for name, device in pool.imap_unordered(_train_in_worker,
                                                [exp.to_dict() for _, exp in plans]):
            report(f"trained {name} on {device}")


def _test_set(spec: SweepSpec, device: str, progress: bool):
    if spec.test_data is not None:
        return spec.test_data
    from chanest.data.dataset import DatasetWriter
    from chanest.data.simulate import Simulator

    path = spec.root / "test.h5"
    if not path.exists():
        writer = DatasetWriter(path, Simulator(load_config(spec.scenario), device=device),
                               spec.test_samples)
        writer.run()
    return str(path)


def estimator_names(spec: SweepSpec) -> list[str]:
    names = list(spec.baselines)
    if spec.per_snr:
        names.append(f"ckpt:{spec.root}/snr*/best")
    if spec.agnostic:
        names.append(f"ckpt:{spec.root}/agnostic/best")
    return names


def run_sweep(spec: SweepSpec, device: str = "auto", progress: bool = True, report=print):
    """Train what is missing (over :func:`sweep_devices`), build the test set, evaluate;
    returns the results directory."""
    from chanest.evaluation.evaluate import evaluate_to_dir

    refuse_torchrun()
    devices = sweep_devices(device)
    train_runs(plan_runs(spec), devices, progress, report)
    device = devices[0]
    test = _test_set(spec, device, progress)
    out = spec.root / "results"
    evaluate_to_dir(test, estimator_names(spec), out, device=device,
                    batch_size=spec.eval_batch_size, progress=progress)
    return out
