"""Training experiment configuration (YAML, validated like scenarios).

Example::

    name: cenet-veha
    seed: 0
    model: {name: cenet, kwargs: {channels: 32, blocks: 6}}
    data:
      simulate: configs/channelnet-veha.yaml   # fresh grids every epoch, or
      # train: data/train.h5                   # a dataset (file, glob or list)
      samples_per_epoch: 20000
      val_samples: 2000                        # or val: data/val.h5
    train:
      epochs: 30
      batch_size: 128
      lr: 1.0e-3

Simulated training and validation grids use seeds derived from the
experiment seed, distinct from each other and from the scenario's own seed,
so they never coincide with a test set simulated from the scenario.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from chanest.schema import ConfigError, Strict, read_yaml_mapping, validate

__all__ = ["ModelSpec", "DataSpec", "StageSpec", "TrainSpec", "Experiment", "load_experiment",
           "parse_experiment"]


class ModelSpec(Strict):
    name: str = "cenet"
    kwargs: dict[str, Any] = Field(default_factory=dict)
    init: str | None = Field(
        default=None, description="start from these weights instead of random ones (fine-"
        "tuning): a checkpoint stem, a run folder (its best) or pretrained:NAME, of the same "
        "model, kwargs and grid")


class DataSpec(Strict):
    """Training data: a dataset (``train``) or the simulator (``simulate``)."""

    train: str | list[str] | None = None
    simulate: str | None = None
    samples_per_epoch: int = Field(default=20_000, ge=1)
    val: str | list[str] | None = None
    val_samples: int = Field(default=2_000, ge=1)
    snr_db: list[float] | None = Field(
        default=None, description="train only on these SNRs (one model per SNR)")
    workers: int | None = Field(default=None, ge=0, description="DataLoader processes "
                                "reading a stored dataset, per rank (0: read in the training "
                                "process; default: 2 on a GPU, 0 on a CPU)")
    user: int | None = Field(default=None, ge=0, description="with multi-user data: the user "
                             "whose pilot layout and channel the network learns")

    @model_validator(mode="after")
    def _one_source(self) -> DataSpec:
        if (self.train is None) == (self.simulate is None):
            raise ValueError("give exactly one of train (a dataset) or simulate (a scenario "
                             "YAML)")
        if self.train is not None and self.val is None:
            raise ValueError("val: a validation dataset is required with train")
        return self


class StageSpec(Strict):
    """One training stage: which part of the model trains, for how many epochs."""

    stage: str = "all"
    epochs: int = Field(default=30, ge=1)


class TrainSpec(Strict):
    epochs: int = Field(default=30, ge=1, description="epochs when stages is not given")
    stages: list[StageSpec] | None = Field(default=None, min_length=1)
    batch_size: int = Field(default=128, ge=1)
    optimizer: Literal["adam", "adamw"] = "adam"
    lr: float = Field(default=1e-3, gt=0)
    weight_decay: float = Field(default=0.0, ge=0)
    schedule: Literal["cosine", "plateau", "none"] = "cosine"
    grad_clip: float | None = Field(default=1.0, gt=0)
    patience: int | None = Field(default=10, ge=1, description="early-stopping epochs")
    loss: Literal["auto", "mse", "nmse", "log-nmse", "base"] = Field(
        default="auto", description="training objective (see chanest.training.objective)")
    err_loss_weight: float = Field(default=0.1, ge=0)
    amp: Literal["auto", "off", "bf16", "fp16"] = "auto"
    channels_last: bool = False
    compile: bool = False
    sync_batchnorm: bool = Field(default=False, description="under DDP on GPUs: batch-norm "
                                 "statistics over the global batch (SyncBatchNorm)")
    deterministic: bool = Field(default=False, description="deterministic algorithms (and "
                                "cuDNN/cuBLAS settings) for run-to-run identical weights on "
                                "a GPU (chanest.training.determinism)")

    def stage_list(self) -> list[StageSpec]:
        return self.stages or [StageSpec(stage="all", epochs=self.epochs)]


class Experiment(Strict):
    name: str = Field(default="run", pattern=r"^[A-Za-z0-9_.-]+$")
    out_dir: str = "runs"
    seed: int = Field(default=0, ge=0, lt=2**63)
    model: ModelSpec = Field(default_factory=ModelSpec)
    data: DataSpec = Field(default_factory=lambda: DataSpec(simulate="configs/default.yaml"))
    train: TrainSpec = Field(default_factory=TrainSpec)

    @property
    def run_dir(self) -> Path:
        return Path(self.out_dir) / self.name

    def to_dict(self) -> dict:
        return self.model_dump(mode="json")


def parse_experiment(data: Any, source: str = "experiment") -> Experiment:
    """Validate a mapping into an :class:`Experiment` (ConfigError on failure)."""
    return validate(Experiment, data, source)


def _resolve(value: str, base: Path, field: str) -> str:
    """A data path as given if it exists (relative to the working folder), else relative
    to the experiment YAML's folder; globs are kept as given."""
    if any(ch in value for ch in "*?[") or Path(value).exists():
        return value
    beside = base / value
    if not Path(value).is_absolute() and beside.exists():
        return str(beside)
    raise ConfigError(f"{field}: file not found: {value} (relative paths are tried from the "
                      f"working folder, then from the experiment's folder {base})")


def load_experiment(path: str | Path) -> Experiment:
    """Load an experiment YAML (``yaml.safe_load``).

    Relative data paths (``data.simulate``, ``data.train``, ``data.val``) are taken from
    the working folder when they exist there, otherwise from the YAML's own folder; a
    path found in neither is an error naming the field.
    """
    exp = parse_experiment(read_yaml_mapping(path), source=Path(path).name)
    base = Path(path).resolve().parent
    d = exp.data
    updates = {}
    for field in ("simulate", "train", "val"):
        value = getattr(d, field)
        if isinstance(value, str):
            updates[field] = _resolve(value, base, f"data.{field}")
        elif isinstance(value, list):
            updates[field] = [_resolve(v, base, f"data.{field}") for v in value]
    return exp.model_copy(update={"data": d.model_copy(update=updates)})
