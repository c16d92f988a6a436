"""Helpers shared by the study scripts: in-memory test grids, NMSE per SNR, CSV output."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
#: a validation set of a training scenario: the scenario's seed plus this offset (the same
#: in every study, so the sets of one site are traced once and shared through the cache)
VAL_SEED_OFFSET = 1000
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from chanest.data.context import context_from_simulator  # noqa: E402 - after the sys.path entry above
from chanest.data.scenario import load_config, parse_config  # noqa: E402 - after the sys.path entry above
from chanest.data.simulate import Simulator  # noqa: E402 - after the sys.path entry above
from chanest.fileio import atomic_write  # noqa: E402 - after the sys.path entry above

__all__ = ["REPO", "Grids", "simulate", "nmse_db", "read_csv", "write_csv"]


class Grids:
    """In-memory grids with the ``iter_batches`` interface of ``LMMSEEstimator.fit``."""

    def __init__(self, batch):
        self.batch = batch

    def iter_batches(self, batch_size, device):
        for lo in range(0, len(self.batch), batch_size):
            yield self.batch[lo:lo + batch_size].to(device)


def simulate(scenario: str, seed: int, samples: int, snrs=None):
    """(GridContext, Batch) of ``samples`` grids of a scenario YAML with another seed and,
    optionally, an SNR list (cycled, so every SNR gets an equal share)."""
    base = load_config(scenario).to_dict()
    base["seed"] = seed
    if snrs is not None:
        base["noise"] = {"snr_db": [float(s) for s in snrs]}
    sim = Simulator(parse_config(base, source=str(scenario)))
    return context_from_simulator(sim), sim.generate(samples)


def nmse_db(h: torch.Tensor, h_hat: torch.Tensor, snr_db: torch.Tensor, snrs,
            select: torch.Tensor | None = None) -> dict[float, float]:
    """{snr: 10 log10(Σ‖ĥ − h‖² / Σ‖h‖²)} over the grids at each SNR (and ``select``)."""
    err = (h_hat - h).abs().square().sum(dim=(1, 2, 3)).double()
    pwr = h.abs().square().sum(dim=(1, 2, 3)).double()
    keep = torch.ones_like(snr_db, dtype=torch.bool) if select is None else select
    return {s: 10 * float(torch.log10(err[(snr_db == s) & keep].sum() /
                                      pwr[(snr_db == s) & keep].sum())) for s in snrs}


def read_csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_csv(path: Path, rows: list[dict], fields: list[str]) -> None:
    """Write atomically (temporary name, then rename); keys not in ``fields`` are left out."""
    with atomic_write(path, newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
