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
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from chanest.data.scenario import load_config
from chanest.schema import ConfigError, Strict, read_yaml_mapping, validate
from chanest.training.experiment import parse_experiment

__all__ = ["SweepSpec", "load_sweep", "plan_runs", "run_sweep"]


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


def run_sweep(spec: SweepSpec, device: str = "auto", progress: bool = True):
    """Train what is missing, build the test set, evaluate; returns the results directory."""
    from chanest.device import resolve_device
    from chanest.evaluation.evaluate import evaluate_to_dir

    device = resolve_device(device)
    for _run, exp in plan_runs(spec):
        _train(exp, device, progress)
    test = _test_set(spec, device, progress)
    out = spec.root / "results"
    evaluate_to_dir(test, estimator_names(spec), out, device=device,
                    batch_size=spec.eval_batch_size, progress=progress)
    return out
