"""The training loop: stages, epochs, optimizer steps, early stopping, checkpoints.

``Trainer(experiment).fit()`` writes to ``<out_dir>/<name>/``:

* ``best.safetensors`` + ``best.json``: weights of the best validation epoch of the
  last stage, with the model spec, grid, pilot mask and a measured per-SNR, per-RE
  error map (used as the estimator's ``err_var``): load with ``ckpt:<dir>/best``;
* ``last.safetensors`` + ``last.json``: everything needed for an exact ``--resume``
  (:mod:`chanest.training.resume`);
* ``log.csv`` (one row per epoch, :mod:`chanest.training.runlog`) and ``experiment.yaml``.

The model comes from :mod:`chanest.models` (its inputs, arguments and stages are its
own), the loss from :mod:`chanest.training.objective`, the best epoch from
:mod:`chanest.training.validation`. Batch order depends only on (seed, stage, epoch):
an interrupted run resumed from ``last`` produces the same weights as an uninterrupted
one. Multi-GPU / multi-node: launch with ``torchrun``; each rank reads or simulates only
its own grids (:mod:`chanest.training.data`), DDP averages the gradients, and validation
runs on the bare model (with rank 0's batch-norm statistics), so a rank left without
validation grids still joins every collective.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch
import yaml
from torch import nn
from tqdm import tqdm

from chanest.device import resolve_device
from chanest.estimators.neural import NeuralFrontEnd, check_antennas
from chanest.fileio import atomic_write
from chanest.models import build_model, count_parameters, model_spec
from chanest.models.checkpoint import checkpoint_paths, load_checkpoint
from chanest.models.io import load_weights
from chanest.schema import ConfigError
from chanest.seeding import derive_seed
from chanest.training import optim
from chanest.training.data import make_sources, steps_per_epoch
from chanest.training.determinism import apply_determinism
from chanest.training.distributed import (
    all_reduce_sum,
    barrier,
    broadcast_buffers,
    init_distributed,
    shutdown,
)
from chanest.training.experiment import Experiment, StageSpec
from chanest.training.init import initial_weights
from chanest.training.objective import error_head_nll, objective, resolve_loss
from chanest.training.resume import (
    TrainState,
    read_last,
    restore_optimizer,
    save_best,
    save_last,
)
from chanest.training.runfolder import check_run_folder
from chanest.training.runlog import RunLog
from chanest.training.validation import validate

__all__ = ["Trainer"]


def _links(scenario, user: int | None) -> int:
    """Links per training grid: the receive antennas (of one user, or of all users)."""
    antennas = scenario.channel.num_rx_antennas
    return antennas if user is not None else antennas * scenario.num_users


class Trainer:
    def __init__(self, exp: Experiment, device: str = "auto", resume: bool = False,
                 progress: bool = True):
        self.exp, self.progress = exp, progress
        #: called after each epoch (``last`` saved): the train command re-raises a Ctrl-C
        #: that a finalizer swallowed there (:mod:`chanest.interrupt`)
        self.after_epoch: Callable[[], None] | None = None
        apply_determinism(exp.train.deterministic)
        self.dist, self.device = init_distributed(resolve_device(device))
        self.run_dir = exp.run_dir
        check_run_folder(self.run_dir, resume)
        self._load_data()
        self._check_batches()
        self._build_model(resume)
        self._build_objective()
        self._set_up_precision()
        self._start_or_resume(resume)
        self.stages = exp.train.stage_list()
        self._check_stages()
        self.log = RunLog(self.run_dir)

    # -- set-up -------------------------------------------------------------
    def _load_data(self) -> None:
        """The training and validation sources; their grid context is the model's."""
        self.train_src, self.val_src = make_sources(self.exp, self.device)
        self.ctx = self.train_src.ctx

    def _check_batches(self) -> None:
        """ConfigError, on every rank alike and before any collective, when an epoch holds no
        training step."""
        t = self.exp.train
        if steps_per_epoch(len(self.train_src), t.batch_size, self.dist.world) == 0:
            raise ConfigError(f"train.batch_size: {t.batch_size} x {self.dist.world} rank(s) "
                              f"exceeds the {len(self.train_src)} training grids per epoch")

    def _build_model(self, resume: bool) -> None:
        """The model of the experiment, its initial weights drawn from the run's seed or
        read from ``model.init`` (not when resuming: ``last`` holds the weights then)."""
        m = self.exp.model
        self.spec = model_spec(m.name, m.kwargs, self.ctx.mask)
        # seeded right before the weights are drawn: building the sources runs Sionna,
        # which reseeds torch's global generator
        torch.manual_seed(derive_seed(self.exp.seed, "init"))
        self.model = build_model(self.spec["name"], **self.spec["kwargs"])
        if m.init is not None and not resume:
            load_weights(self.model, initial_weights(m.init, self.spec, self.ctx))
        self.model = self.model.to(self.device)
        if self.exp.train.sync_batchnorm and self.dist.enabled:
            if not self.device.startswith("cuda"):
                raise ConfigError("train.sync_batchnorm: PyTorch synchronises batch norm on "
                                  f"GPUs only; this run is on {self.device}")
            self.model = nn.SyncBatchNorm.convert_sync_batchnorm(self.model)
        if self.exp.train.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)

    def _build_objective(self) -> None:
        """The model's front end (inputs and targets) and the training loss."""
        antennas = getattr(self.model, "antennas", None)
        check_antennas(antennas, _links(self.train_src.scenario, self.exp.data.user),
                       "model.kwargs.antennas")
        self.front = NeuralFrontEnd(self.ctx, self.model.input_kind, self.device,
                                    self.model.base_options, antennas,
                                    label="model.kwargs.antennas")
        self.loss_kind = resolve_loss(self.exp.train.loss, self.front.base is not None,
                                      self.exp.model.name)

    def _set_up_precision(self) -> None:
        """Mixed precision (``train.amp``) and its gradient scaler."""
        self.amp_dtype = optim.amp_dtype(self.exp.train.amp, self.device)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)

    def _start_or_resume(self, resume: bool) -> None:
        """A fresh train state, or the weights and state of the run's ``last`` checkpoint
        (optimizer and scheduler are restored when the stage is set up)."""
        self.state = TrainState()
        self._resume_meta = None
        if resume:
            self.state, self._resume_meta = read_last(self.run_dir, self.model,
                                                      self.exp.model.name, self.device)

    def _check_stages(self) -> None:
        known = self.model.stages
        for i, s in enumerate(self.stages):
            if s.stage != "all" and s.stage not in known:
                allowed = ", ".join(("all",) + tuple(known))
                raise ConfigError(f"train.stages[{i}].stage: {s.stage!r} is not a stage of "
                                  f"{self.exp.model.name} (allowed: {allowed})")

    def _setup_stage(self, spec: StageSpec) -> None:
        core = self.model
        core.enter_stage(spec.stage)
        core.requires_grad_(False)
        for m in core.trainable_modules(spec.stage):
            m.requires_grad_(True)
        params = [p for p in core.parameters() if p.requires_grad]
        t = self.exp.train
        self.optimizer = optim.make_optimizer(params, t)
        self.scheduler = optim.make_scheduler(self.optimizer, t, spec.epochs)
        net = core
        if self.dist.enabled:
            ids = [int(self.device.split(":")[1])] if self.device.startswith("cuda") else None
            net = nn.parallel.DistributedDataParallel(core, device_ids=ids)
        if t.compile:
            net = torch.compile(net)
        self.net = net
        # validation: no collective inside the forward pass (DDP syncs buffers there)
        self.eval_net = net if not self.dist.enabled else \
            (torch.compile(core) if t.compile else core)

    def _meta(self) -> dict:
        return {"model": self.spec, "grid": self.ctx.grid.model_dump(mode="json"),
                "mask": self.ctx.mask.astype(int).tolist(), "experiment": self.exp.to_dict()}

    def _save_last(self) -> None:
        save_last(self.run_dir, self.model, self._meta(), self.state, self.optimizer,
                  self.scheduler, self.scaler, self.device)

    # -- one epoch ----------------------------------------------------------
    def _forward(self, batch, with_input: bool = False, net=None):
        """(out [N, 2, S, F], logvar [N, 1, S, F] or None, scale [B, L][, input x]) of
        ``net`` (default: the training network)."""
        x, scale = self.front.inputs(batch.y, batch.no)
        if self.exp.train.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with optim.autocast(self.amp_dtype, self.device):
            out = (self.net if net is None else net)(x)
        logvar = None
        if isinstance(out, tuple):
            out, logvar = out
        res = out.float(), (None if logvar is None else logvar.float()), scale
        return res + (x,) if with_input else res

    def _objective(self, out: torch.Tensor, target: torch.Tensor,
                   x: torch.Tensor) -> torch.Tensor:
        """The training loss ``self.loss_kind``; out/target [N, 2, S, F], x the input."""
        return objective(self.loss_kind, out, target, self.front.base_error(x))

    def _loss(self, batch) -> torch.Tensor:
        out, logvar, scale, x = self._forward(batch, with_input=True)
        target = self.front.target(batch.h, scale)
        loss = self._objective(out, target, x)
        if logvar is not None and self.exp.train.err_loss_weight > 0:
            loss = loss + self.exp.train.err_loss_weight * error_head_nll(out, logvar, target)
        return loss

    def _train_epoch(self, spec: StageSpec) -> tuple[float, float]:
        self.net.train()
        t = self.exp.train
        st = self.state
        batches = self.train_src.batches(st.global_epoch, t.batch_size, self.dist.rank,
                                         self.dist.world)
        n_batches = steps_per_epoch(len(self.train_src), t.batch_size, self.dist.world)
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
        seconds = time.perf_counter() - start
        stats = all_reduce_sum(torch.tensor([total, count], dtype=torch.float64,
                                            device=self.device), self.dist)
        return float(stats[0] / stats[1]), count * t.batch_size * self.dist.world / seconds

    def validate(self) -> dict:
        """Validation metrics (:func:`chanest.training.validation.validate`)."""
        self.net.eval()
        broadcast_buffers(self.model, self.dist)
        batches = self.val_src.all(self.exp.train.batch_size, self.dist.rank, self.dist.world)
        return validate(lambda batch: self._forward(batch, net=self.eval_net), self.front,
                        batches, self.ctx.mask.shape, self.device, self.dist)

    # -- main loop ----------------------------------------------------------
    def fit(self, max_epochs: int | None = None) -> dict:
        """Train all stages (or what remains after a resume); returns a summary.

        ``max_epochs`` stops this call after that many epochs (the run can be resumed).
        The data sources' reader processes stop when this call returns, and under
        torchrun the process group is destroyed (a new Trainer joins a new one).
        """
        if self.dist.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            with atomic_write(self.run_dir / "experiment.yaml") as f:
                f.write(yaml.safe_dump(self.exp.to_dict(), sort_keys=False))
            self.log.trim(self.state.global_epoch)
        st = self.state
        summary: dict = {"parameters": count_parameters(self.model)}
        budget = math.inf if max_epochs is None else max_epochs
        while st.stage_index < len(self.stages) and not st.finished and budget > 0:
            spec = self.stages[st.stage_index]
            self._setup_stage(spec)
            if self._resume_meta is not None:
                restore_optimizer(self._resume_meta, self.optimizer, self.scheduler,
                                  self.scaler)
                self._resume_meta = None
            while st.epoch < spec.epochs and not self._patience_out() and budget > 0:
                self._epoch(spec)
                budget -= 1
            if self._patience_out() or st.epoch >= spec.epochs:
                self._end_stage()
        best = getattr(self, "final_best", math.inf)
        summary.update(best_val_score_db=best if math.isfinite(best) else None,
                       epochs=st.global_epoch, run_dir=str(self.run_dir))
        self.train_src.close()
        self.val_src.close()
        shutdown(self.dist)
        return summary

    def _epoch(self, spec: StageSpec) -> None:
        """Train one epoch, validate, keep the best, step the schedule, log, save ``last``."""
        st = self.state
        started = time.perf_counter()
        loss, rate = self._train_epoch(spec)
        metrics = self.validate()
        if metrics["score_db"] < st.best - 1e-4:
            st.best, st.best_epoch, st.bad_epochs = metrics["score_db"], st.epoch, 0
            if self.dist.is_main:
                save_best(self.run_dir, self.model, self._meta(), metrics["err_map"], {
                    "val_nmse_db": metrics["nmse_db"], "val_score_db": metrics["score_db"],
                    "val_per_snr_db": metrics["per_snr_db"]}, spec.stage, st.epoch)
        else:
            st.bad_epochs += 1
        lr = self.optimizer.param_groups[0]["lr"]
        optim.step_scheduler(self.scheduler, metrics["score_db"])
        st.epoch += 1
        st.global_epoch += 1
        if self.dist.is_main:
            self.log.row(st.stage_index, spec.stage, st.epoch - 1, st.global_epoch, loss,
                         metrics, lr, rate, time.perf_counter() - started)
            self._save_last()
        barrier(self.dist)
        if self.after_epoch is not None:
            self.after_epoch()

    def _patience_out(self) -> bool:
        patience = self.exp.train.patience
        return patience is not None and self.state.bad_epochs >= patience

    def _end_stage(self) -> None:
        """Continue from the best weights of the stage that just ended."""
        st = self.state
        best = checkpoint_paths(self.run_dir / "best")[0]
        barrier(self.dist)
        if best.exists():
            load_weights(self.model, load_checkpoint(self.run_dir / "best")[0])
        self.final_best = st.best
        st.stage_index += 1
        st.epoch, st.best, st.best_epoch, st.bad_epochs = 0, math.inf, -1, 0
        st.finished = st.stage_index >= len(self.stages)
        if self.dist.is_main:
            self._save_last()
        barrier(self.dist)
