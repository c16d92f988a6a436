"""The run's log: ``log.csv`` (one row per epoch) and TensorBoard scalars if installed."""

from __future__ import annotations

import csv
from pathlib import Path

from chanest.fileio import atomic_write

__all__ = ["LOG_FIELDS", "RunLog"]

LOG_FIELDS = ["stage", "stage_name", "epoch", "train_loss", "val_nmse_db", "val_score_db",
              "lr", "samples_per_s", "seconds"]


class RunLog:
    """Appends epoch rows to ``<run_dir>/log.csv`` and TensorBoard (``<run_dir>/tensorboard``)."""

    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / "log.csv"

    def trim(self, done: int) -> None:
        """Keep only the rows of the ``done`` epochs a resumed state has completed."""
        if not self.path.exists():
            return
        with open(self.path, newline="") as f:
            rows = list(csv.DictReader(f))
        with atomic_write(self.path, newline="") as f:
            w = csv.DictWriter(f, fieldnames=LOG_FIELDS)
            w.writeheader()
            w.writerows(rows[:done])

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

    def row(self, stage_index: int, stage: str, epoch: int, global_epoch: int, loss: float,
            metrics: dict, lr: float, rate: float, seconds: float) -> None:
        """One epoch: ``epoch`` within the stage, ``global_epoch`` the TensorBoard step."""
        nmse_db, score_db = metrics["nmse_db"], metrics["score_db"]
        tb = self._tensorboard()
        if tb is not None:
            for key, value in (("train/loss", loss), ("val/nmse_db", nmse_db),
                               ("val/score_db", score_db), ("train/lr", lr),
                               ("train/samples_per_s", rate)):
                tb.add_scalar(key, value, global_epoch)
            tb.flush()
        new = not self.path.exists()
        with open(self.path, "a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=LOG_FIELDS)
            if new:
                w.writeheader()
            w.writerow({"stage": stage_index, "stage_name": stage, "epoch": epoch,
                        "train_loss": f"{loss:.6g}", "val_nmse_db": f"{nmse_db:.4f}",
                        "val_score_db": f"{score_db:.4f}", "lr": f"{lr:.6g}",
                        "samples_per_s": f"{rate:.1f}", "seconds": f"{seconds:.2f}"})
