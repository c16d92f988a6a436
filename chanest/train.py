"""Trainer: neural estimators on simulated or recorded grids, on CPU, one GPU or many.

``Trainer(experiment).fit()`` writes to ``<out_dir>/<name>/``:

* ``best.safetensors`` + ``best.json``: weights of the best validation epoch of the
  last stage, with the model spec, grid, pilot mask and a measured per-SNR, per-RE
  error map (used as the estimator's ``err_var``): load with ``ckpt:<dir>/best``;
* ``last.safetensors`` + ``last.json``: everything needed for an exact ``--resume``
  (weights, optimizer and scheduler state, RNG state, stage/epoch, early-stopping
  counters);
* ``log.csv`` (one row per epoch) and ``experiment.yaml``.

Loss (``train.loss``), on the per-sample normalised grids of
:class:`~chanest.estimators.neural.NeuralFrontEnd`:

* ``base``: |ĥ − h|² / ε per RE and real component, ε the base estimator's own
  predicted error variance (models with a classical base, e.g. CENet on
  ``lmmse-adaptive``); about 1/2 for the untrained model if ε is calibrated, and
  every SNR weighs alike;
* ``log-nmse``: mean over grids of ln(‖ĥ − h‖² / ‖h‖²): relative improvements count
  the same at every SNR;
* ``nmse``: mean over grids of ‖ĥ − h‖² / ‖h‖² (low SNRs still dominate);
* ``mse``: plain MSE (low SNRs dominate: a 0 dB grid's error outweighs a 30 dB
  grid's about 300-fold);
* ``auto`` (default): ``base`` for models with a base, ``log-nmse`` otherwise.

With an error head, plus ``err_loss_weight`` × the Gaussian negative
log-likelihood of the (detached) error under the predicted variance.

The best checkpoint is the epoch with the lowest *mean over SNRs of the per-SNR
validation NMSE in dB* (1 dB SNR bins), so no SNR range decides alone.

Batch order depends only on (seed, stage, epoch): an interrupted run resumed
from ``last`` produces the same weights as an uninterrupted one.
Multi-GPU / multi-node: launch with ``torchrun``; each rank takes every
world-th batch and DDP averages the gradients.
"""

from __future__ import annotations

import csv
import math
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import yaml
from torch import nn
from tqdm import tqdm

from chanest.checkpoint import checkpoint_paths, load_checkpoint, save_checkpoint
from chanest.config import ConfigError
from chanest.device import resolve_device
from chanest.distributed import all_reduce_sum, barrier, init_distributed
from chanest.estimators.neural import NeuralFrontEnd, pilot_image_shape
from chanest.experiment import Experiment, StageSpec
from chanest.models import build_model, count_parameters
from chanest.seeding import derive_seed
from chanest.trainingdata import make_sources

__all__ = ["Trainer", "TrainState", "model_kwargs_for"]

_LOG_FIELDS = ["stage", "stage_name", "epoch", "train_loss", "val_nmse_db", "val_score_db",
               "lr", "samples_per_s", "seconds"]
_SNR_BINS = np.arange(-50, 101)  # validation error map bins (1 dB)


@dataclass
class TrainState:
    stage_index: int = 0
    epoch: int = 0  # epochs completed in the current stage
    global_epoch: int = 0  # epochs completed over all stages
    best: float = math.inf  # best validation NMSE (dB) in the current stage
    best_epoch: int = -1
    bad_epochs: int = 0
    finished: bool = False


def model_kwargs_for(name: str, kwargs: dict, mask: np.ndarray) -> dict:
    """Fill in the grid-dependent arguments a model needs (pilot image and grid shapes)."""
    kwargs = dict(kwargs)
    if name == "reesnet":
        kwargs.setdefault("pilot_shape", list(pilot_image_shape(mask)))
        kwargs.setdefault("grid_shape", list(mask.shape))
    return kwargs


def _unwrap(model: nn.Module) -> nn.Module:
    model = getattr(model, "module", model)  # DDP
    return getattr(model, "_orig_mod", model)  # torch.compile


class Trainer:
    def __init__(self, exp: Experiment, device: str = "auto", resume: bool = False,
                 progress: bool = True):
        self.exp, self.progress = exp, progress
        self.dist, self.device = init_distributed(resolve_device(device))
        self.run_dir = exp.run_dir
        last_json = checkpoint_paths(self.run_dir / "last")[1]
        if resume and not last_json.exists():
            raise ConfigError(f"--resume: no checkpoint to resume in {self.run_dir}")
        if not resume and last_json.exists():
            raise ConfigError(f"--config: {self.run_dir} already holds a run; pass --resume "
                              "to continue it, --overwrite to start afresh, or choose "
                              "another --name")
        self.train_src, self.val_src = make_sources(exp, self.device)
        self.ctx = self.train_src.ctx
        self.model_kwargs = model_kwargs_for(exp.model.name, exp.model.kwargs, self.ctx.mask)
        # seeded right before the weights are drawn: building the sources runs Sionna,
        # which reseeds torch's global generator
        torch.manual_seed(derive_seed(exp.seed, "init"))
        self.model = build_model(exp.model.name, **self.model_kwargs).to(self.device)
        if exp.train.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.front = NeuralFrontEnd(self.ctx, self.model.input_kind, self.device,
                                    getattr(self.model, "base_options", None))
        self.loss_kind = self._loss_kind()
        self.amp_dtype = self._amp_dtype()
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)
        self.state = TrainState()
        self._resume_meta = self._load_last() if resume else None
        self.stages = exp.train.stage_list()
        self._check_stages()

    # -- set-up -------------------------------------------------------------
    def _amp_dtype(self):
        amp = self.exp.train.amp
        cuda = self.device.startswith("cuda")
        if amp == "off" or (amp == "auto" and not cuda):
            return None
        if amp == "auto":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.bfloat16 if amp == "bf16" else torch.float16

    def _loss_kind(self) -> str:
        kind = self.exp.train.loss
        has_base = self.front.base is not None
        if kind == "auto":
            return "base" if has_base else "log-nmse"
        if kind == "base" and not has_base:
            raise ConfigError(f"train.loss: 'base' needs a model with a classical base "
                              f"estimate; {self.exp.model.name} has none (allowed: auto, mse, "
                              "nmse, log-nmse)")
        return kind

    def _check_stages(self) -> None:
        known = getattr(self.model, "stages", ())
        for i, s in enumerate(self.stages):
            if s.stage != "all" and s.stage not in known:
                allowed = ", ".join(("all",) + tuple(known))
                raise ConfigError(f"train.stages[{i}].stage: {s.stage!r} is not a stage of "
                                  f"{self.exp.model.name} (allowed: {allowed})")

    def _setup_stage(self, spec: StageSpec) -> None:
        core = self.model
        if hasattr(core, "stage"):
            core.stage = "dncnn" if spec.stage == "all" else spec.stage
        trainable = (core.stage_modules(spec.stage) if spec.stage != "all" and
                     hasattr(core, "stage_modules") else [core])
        core.requires_grad_(False)
        for m in trainable:
            m.requires_grad_(True)
        params = [p for p in core.parameters() if p.requires_grad]
        t = self.exp.train
        opt_cls = torch.optim.AdamW if t.optimizer == "adamw" else torch.optim.Adam
        self.optimizer = opt_cls(params, lr=t.lr, weight_decay=t.weight_decay)
        if t.schedule == "cosine":
            self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
                self.optimizer, T_max=spec.epochs)
        elif t.schedule == "plateau":
            self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
                self.optimizer, factor=0.5, patience=max(1, (t.patience or 10) // 3))
        else:
            self.scheduler = None
        net = core
        if self.dist.enabled:
            ids = [int(self.device.split(":")[1])] if self.device.startswith("cuda") else None
            net = nn.parallel.DistributedDataParallel(core, device_ids=ids)
        if t.compile:
            net = torch.compile(net)
        self.net = net

    # -- checkpoints --------------------------------------------------------
    def _meta(self) -> dict:
        return {"model": {"name": self.exp.model.name, "kwargs": self.model_kwargs},
                "grid": self.ctx.grid.model_dump(mode="json"),
                "mask": self.ctx.mask.astype(int).tolist(),
                "experiment": self.exp.to_dict()}

    def _save_best(self, err_map: tuple[np.ndarray, np.ndarray], metrics: dict) -> None:
        snrs, mse = err_map
        tensors = {f"model.{k}": v for k, v in _unwrap(self.model).state_dict().items()}
        tensors["err_map.mse"] = torch.as_tensor(mse, dtype=torch.float32)
        tensors["err_map.snr_db"] = torch.as_tensor(snrs, dtype=torch.float32)
        save_checkpoint(self.run_dir / "best", tensors,
                        {**self._meta(), "kind": "weights", "metrics": metrics,
                         "stage": self.stages[self.state.stage_index].stage,
                         "epoch": self.state.epoch})

    def _save_last(self) -> None:
        tensors = {f"model.{k}": v for k, v in _unwrap(self.model).state_dict().items()}
        opt = self.optimizer.state_dict()
        for idx, st in opt["state"].items():
            for key, val in st.items():
                tensors[f"optim.{idx}.{key}"] = torch.as_tensor(val)
        tensors["rng.cpu"] = torch.get_rng_state()
        if self.device.startswith("cuda"):
            tensors["rng.cuda"] = torch.cuda.get_rng_state(self.device)
        fresh_stage = self.state.epoch == 0  # the next stage builds a new optimizer
        meta = {**self._meta(), "kind": "resume", "state": asdict(self.state),
                "optimizer": None if fresh_stage else {
                    "param_groups": opt["param_groups"],
                    "state_keys": {str(i): list(s) for i, s in opt["state"].items()}},
                "scheduler": self.scheduler.state_dict() if self.scheduler and not fresh_stage
                else None,
                "grad_scaler": self.scaler.state_dict() if self.scaler.is_enabled() else None}
        save_checkpoint(self.run_dir / "last", tensors, meta)

    def _load_last(self) -> dict:
        tensors, meta = load_checkpoint(self.run_dir / "last", device="cpu")
        if meta.get("kind") != "resume" or meta["model"]["name"] != self.exp.model.name:
            raise ConfigError(f"--resume: {self.run_dir}/last is not a resume checkpoint of "
                              f"this experiment")
        self._load_model(tensors)
        self.state = TrainState(**meta["state"])
        torch.set_rng_state(tensors["rng.cpu"])
        if "rng.cuda" in tensors and self.device.startswith("cuda"):
            torch.cuda.set_rng_state(tensors["rng.cuda"], self.device)
        meta["_tensors"] = tensors
        return meta

    def _load_model(self, tensors: dict) -> None:
        weights = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
        _unwrap(self.model).load_state_dict(weights)

    def _restore_optimizer(self) -> None:
        meta, tensors = self._resume_meta, self._resume_meta["_tensors"]
        self._resume_meta = None
        if meta["optimizer"] is None:
            return
        state = {int(i): {k: tensors[f"optim.{i}.{k}"] for k in keys}
                 for i, keys in meta["optimizer"]["state_keys"].items()}
        self.optimizer.load_state_dict({"state": state,
                                        "param_groups": meta["optimizer"]["param_groups"]})
        if self.scheduler is not None and meta["scheduler"] is not None:
            self.scheduler.load_state_dict(meta["scheduler"])
        if meta["grad_scaler"] is not None:
            self.scaler.load_state_dict(meta["grad_scaler"])

    # -- one epoch ----------------------------------------------------------
    def _autocast(self):
        if self.amp_dtype is None:
            return nullcontext()
        return torch.autocast(device_type=torch.device(self.device).type, dtype=self.amp_dtype)

    def _forward(self, batch, with_input: bool = False):
        x, scale = self.front.inputs(batch.y, batch.no)
        if self.exp.train.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with self._autocast():
            out = self.net(x)
        logvar = None
        if isinstance(out, tuple):
            out, logvar = out
        res = out.float(), (None if logvar is None else logvar.float()), scale
        return res + (x,) if with_input else res

    def _objective(self, out: torch.Tensor, target: torch.Tensor,
                   x: torch.Tensor) -> torch.Tensor:
        """The training loss of ``train.loss`` (module docstring); out/target [N, 2, S, F]."""
        e2 = (out - target) ** 2  # [N, 2, S, F]
        if self.loss_kind == "mse":
            return e2.mean()
        if self.loss_kind == "base":
            return (e2 / self.front.base_error(x).clamp_min(1e-12)).mean()
        nmse = e2.sum(dim=(1, 2, 3)) / (target**2).sum(dim=(1, 2, 3)).clamp_min(1e-12)  # [N]
        if self.loss_kind == "nmse":
            return nmse.mean()
        return torch.log(nmse.clamp_min(1e-12)).mean()

    def _loss(self, batch) -> torch.Tensor:
        out, logvar, scale, x = self._forward(batch, with_input=True)
        target = self.front.target(batch.h, scale)
        loss = self._objective(out, target, x)
        if logvar is not None and self.exp.train.err_loss_weight > 0:
            e2 = ((out.detach() - target) ** 2).sum(dim=1, keepdim=True)  # |e|² [N, 1, S, F]
            nll = torch.mean(e2 * torch.exp(-logvar) + logvar)
            loss = loss + self.exp.train.err_loss_weight * nll
        return loss

    def _train_epoch(self, spec: StageSpec) -> tuple[float, float]:
        self.net.train()
        t = self.exp.train
        st = self.state
        batches = self.train_src.batches(st.global_epoch, t.batch_size, self.dist.rank,
                                         self.dist.world)
        n_batches = (len(self.train_src) // t.batch_size) // self.dist.world
        bar = tqdm(batches, total=n_batches, unit="batch", leave=False, dynamic_ncols=True,
                   disable=not (self.progress and self.dist.is_main),
                   desc=f"{spec.stage} epoch {st.epoch + 1}/{spec.epochs}")
        total, count, start = 0.0, 0, time.perf_counter()
        for batch in bar:
            loss = self._loss(batch)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            if t.grad_clip is not None:
                self.scaler.unscale_(self.optimizer)
                params = [p for p in self.model.parameters() if p.requires_grad]
                torch.nn.utils.clip_grad_norm_(params, t.grad_clip)
            self.scaler.step(self.optimizer)
            self.scaler.update()
            total, count = total + loss.item(), count + 1
            rate = count * t.batch_size * self.dist.world / (time.perf_counter() - start)
            bar.set_postfix(loss=f"{total / count:.4g}", samples_s=f"{rate:,.0f}",
                            val_score=f"{st.best:.2f}dB" if math.isfinite(st.best) else "-")
        if count == 0:
            raise ConfigError(f"train.batch_size: {t.batch_size} x {self.dist.world} rank(s) "
                              f"exceeds the {len(self.train_src)} training grids per epoch")
        seconds = time.perf_counter() - start
        stats = all_reduce_sum(torch.tensor([total, count], dtype=torch.float64,
                                            device=self.device), self.dist)
        return float(stats[0] / stats[1]), count * t.batch_size * self.dist.world / seconds

    @torch.no_grad()
    def validate(self) -> dict:
        """Validation NMSE (dB), per SNR, and the per-SNR per-RE error map.

        NMSE = Σ‖h − ĥ‖² / Σ‖h‖² over the grids (as ``evaluate`` reports it).
        """
        self.net.eval()
        S, F = self.ctx.mask.shape
        K = len(_SNR_BINS)
        err_energy = torch.zeros(K, dtype=torch.float64, device=self.device)
        energy = torch.zeros(K, dtype=torch.float64, device=self.device)
        count = torch.zeros(K, dtype=torch.float64, device=self.device)
        err_map = torch.zeros(K, S, F, dtype=torch.float64, device=self.device)
        for batch in self.val_src.all(self.exp.train.batch_size, self.dist.rank, self.dist.world):
            batch = batch.to(self.device)
            out, _, scale = self._forward(batch)
            h_hat = self.front.outputs(out, scale)  # [B, L, S, F]
            e2 = (h_hat - batch.h).abs() ** 2  # [B, L, S, F]
            idx = (torch.round(batch.snr_db).long() - int(_SNR_BINS[0])).clamp(0, K - 1)
            err_energy.index_add_(0, idx, e2.sum(dim=(1, 2, 3)).double())
            energy.index_add_(0, idx, (batch.h.abs() ** 2).sum(dim=(1, 2, 3)).double())
            count.index_add_(0, idx, torch.ones(len(idx), dtype=torch.float64, device=idx.device))
            normed = (e2 / (scale**2)[..., None, None]).mean(dim=1)  # [B, S, F]
            err_map.index_add_(0, idx, normed.double())
        for t in (err_energy, energy, count, err_map):
            all_reduce_sum(t, self.dist)
        seen = (count > 0).cpu().numpy()
        nmse_db = 10 * math.log10(float(err_energy.sum() / energy.sum()))
        per_snr = {int(s): 10 * math.log10(float(e / h)) for s, e, h, ok in
                   zip(_SNR_BINS, err_energy.cpu(), energy.cpu(), seen) if ok}
        mse = (err_map[count > 0] / count[count > 0, None, None]).float().cpu().numpy()
        return {"nmse_db": nmse_db, "per_snr_db": per_snr,
                "score_db": float(np.mean(list(per_snr.values()))),
                "err_map": (_SNR_BINS[seen], mse)}

    # -- main loop ----------------------------------------------------------
    def fit(self, max_epochs: int | None = None) -> dict:
        """Train all stages (or what remains after a resume); returns a summary.

        ``max_epochs`` stops this call after that many epochs (the run can be resumed).
        """
        if self.dist.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            (self.run_dir / "experiment.yaml").write_text(
                yaml.safe_dump(self.exp.to_dict(), sort_keys=False))
            self._trim_log()
        st = self.state
        summary: dict = {"parameters": count_parameters(self.model)}
        budget = math.inf if max_epochs is None else max_epochs
        while st.stage_index < len(self.stages) and not st.finished and budget > 0:
            spec = self.stages[st.stage_index]
            self._setup_stage(spec)
            if self._resume_meta is not None:
                self._restore_optimizer()
            while st.epoch < spec.epochs and not self._patience_out() and budget > 0:
                started = time.perf_counter()
                loss, rate = self._train_epoch(spec)
                metrics = self.validate()
                improved = metrics["score_db"] < st.best - 1e-4
                if improved:
                    st.best, st.best_epoch, st.bad_epochs = metrics["score_db"], st.epoch, 0
                    if self.dist.is_main:
                        self._save_best(metrics["err_map"], {
                            "val_nmse_db": metrics["nmse_db"],
                            "val_score_db": metrics["score_db"],
                            "val_per_snr_db": metrics["per_snr_db"]})
                else:
                    st.bad_epochs += 1
                lr = self.optimizer.param_groups[0]["lr"]
                if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                    self.scheduler.step(metrics["score_db"])
                elif self.scheduler is not None:
                    self.scheduler.step()
                st.epoch += 1
                st.global_epoch += 1
                budget -= 1
                if self.dist.is_main:
                    self._log_row(spec, loss, metrics, lr, rate, time.perf_counter() - started)
                    self._save_last()
                barrier(self.dist)
            if self._patience_out() or st.epoch >= spec.epochs:
                self._end_stage()
        best = getattr(self, "final_best", math.inf)
        summary.update(best_val_score_db=best if math.isfinite(best) else None,
                       epochs=st.global_epoch, run_dir=str(self.run_dir))
        return summary

    def _patience_out(self) -> bool:
        patience = self.exp.train.patience
        return patience is not None and self.state.bad_epochs >= patience

    def _end_stage(self) -> None:
        """Continue from the best weights of the stage that just ended."""
        st = self.state
        best = checkpoint_paths(self.run_dir / "best")[0]
        barrier(self.dist)
        if best.exists():
            self._load_model(load_checkpoint(self.run_dir / "best")[0])
        self.final_best = st.best
        st.stage_index += 1
        st.epoch, st.best, st.best_epoch, st.bad_epochs = 0, math.inf, -1, 0
        st.finished = st.stage_index >= len(self.stages)
        if self.dist.is_main:
            self._save_last()
        barrier(self.dist)

    # -- log ----------------------------------------------------------------
    @property
    def _log_path(self) -> Path:
        return self.run_dir / "log.csv"

    def _trim_log(self) -> None:
        """Keep only rows of epochs the resumed state has completed."""
        if not self._log_path.exists():
            return
        with open(self._log_path, newline="") as f:
            rows = list(csv.DictReader(f))
        done = self.state.global_epoch
        rows = rows[:done]
        with open(self._log_path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=_LOG_FIELDS)
            w.writeheader()
            w.writerows(rows)

    def _tensorboard(self):
        """A SummaryWriter in the run directory if TensorBoard is installed, else None."""
        if not hasattr(self, "_tb"):
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:  # tensorboard is optional
                self._tb = None
            else:
                self._tb = SummaryWriter(log_dir=str(self.run_dir / "tensorboard"))
        return self._tb

    def _log_row(self, spec: StageSpec, loss: float, metrics: dict, lr: float,
                 rate: float, seconds: float) -> None:
        nmse_db, score_db = metrics["nmse_db"], metrics["score_db"]
        tb = self._tensorboard()
        if tb is not None:
            step = self.state.global_epoch
            for key, value in (("train/loss", loss), ("val/nmse_db", nmse_db),
                               ("val/score_db", score_db), ("train/lr", lr),
                               ("train/samples_per_s", rate)):
                tb.add_scalar(key, value, step)
            tb.flush()
        new = not self._log_path.exists()
        with open(self._log_path, "a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=_LOG_FIELDS)
            if new:
                w.writeheader()
            w.writerow({"stage": self.state.stage_index, "stage_name": spec.stage,
                        "epoch": self.state.epoch - 1, "train_loss": f"{loss:.6g}",
                        "val_nmse_db": f"{nmse_db:.4f}", "val_score_db": f"{score_db:.4f}",
                        "lr": f"{lr:.6g}",
                        "samples_per_s": f"{rate:.1f}", "seconds": f"{seconds:.2f}"})
