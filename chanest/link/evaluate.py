"""BER / BLER vs SNR of every estimator on the same grids, with perfect CSI as reference.

One pass over the dataset in order; per SNR group, grids are taken until every
estimator (perfect CSI included) has counted ``min_errors`` errors of the metric's
unit (bit errors for ``ber``, counted as effective independent errors, see
:mod:`chanest.link.intervals`; block errors for ``bler``) or ``max_grids`` grids, then
the group is skipped. The decision is taken after each batch, so ``batch_size`` moves
the stopping point by less than one batch. Rows carry the NMSE of the same grids too.
See :mod:`chanest.link.chain` for the chain and :mod:`chanest.link.intervals` for the
confidence intervals.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from chanest.data.userview import UserView
from chanest.estimators.base import Estimate
from chanest.estimators.registry import role_of
from chanest.evaluation.core import EvaluationCore
from chanest.evaluation.results import METRIC_DEFINITIONS, RESULT_COLUMNS, EvaluationResult
from chanest.evaluation.summary import snr_groups, summarise
from chanest.link.chain import LinkChain
from chanest.link.intervals import clustered_rate, effective_errors, per_grid, wilson
from chanest.schema import ConfigError

__all__ = ["LINK_METRICS", "LINK_COLUMNS", "LINK_DEFINITIONS", "PERFECT_CSI", "LinkResult",
           "LinkCounts", "evaluate_link", "link_columns"]

LINK_METRICS = ("ber", "bler")
LINK_COLUMNS = ["ber", "ber_lo", "ber_hi", "bit_errors", "bits", "bler", "bler_lo", "bler_hi",
                "block_errors", "blocks", "modulation", "code_rate"]
#: the reference row: equalization with the true channel and zero error variance
PERFECT_CSI = "perfect-csi"
LINK_DEFINITIONS = {
    "ber": "bit errors / bits: all data bits (uncoded) or the information bits of the "
           "decoded 5G NR transport blocks (code_rate set); CI: Wilson on bits / design "
           "effect over grids",
    "bler": "5G NR transport blocks (one per grid and user: 38.214 size, CRC, code-block "
            "segmentation, LDPC) whose CRC fails / blocks; CI: Wilson",
    "perfect-csi": "equalized with the true channel and err_var = 0",
}


@dataclass
class LinkResult(EvaluationResult):
    """An :class:`EvaluationResult` whose rows also hold BER/BLER columns."""

    metric: str = "ber"

    def table(self) -> str:
        """BER or BLER (lo–hi) per SNR, one column per estimator, per model group."""
        lines = []
        names = list(dict.fromkeys(r["estimator"] for r in self.rows))
        for model in dict.fromkeys(r["model"] for r in self.rows):
            cell = {(r["estimator"], r["snr_db"]): r for r in self.rows if r["model"] == model}
            lines.append(f"{self.metric.upper()}, model {model}")
            lines.append(f"{'SNR [dB]':>8}  " + "  ".join(f"{n:>20}" for n in names))
            for snr in sorted({s for _, s in cell}):
                vals = [cell.get((n, snr)) for n in names]
                lines.append(f"{snr:>8g}  " + "  ".join(
                    f"{_rate(r, self.metric):>20}" for r in vals))
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"


def _rate(row: dict | None, metric: str) -> str:
    if row is None:
        return "-"
    return f"{row[metric]:.2e} ({row[metric + '_lo']:.1e}-{row[metric + '_hi']:.1e})"


def _check_options(metric, min_errors, max_grids) -> None:
    if metric not in LINK_METRICS:
        raise ConfigError(f"must be one of {', '.join(LINK_METRICS)}, got "
                          f"{metric!r}", arg="metric")
    if min_errors < 1:
        raise ConfigError(f"must be >= 1, got {min_errors}", arg="min_errors")
    if max_grids is not None and max_grids < 1:
        raise ConfigError(f"must be >= 1, got {max_grids}", arg="max_grids")


class LinkCounts:
    """Bit and block errors of the grids used, per estimator and perfect CSI ([B] or
    [B, U] each per batch: one block per grid, or per grid and user)."""

    def __init__(self, names: list[str]):
        self.bit = {n: [] for n in [*names, PERFECT_CSI]}
        self.block = {n: [] for n in [*names, PERFECT_CSI]}

    def add(self, name: str, bit_errors: np.ndarray, block_errors: np.ndarray) -> None:
        self.bit[name].append(bit_errors)
        self.block[name].append(block_errors)

    def per_row(self, metric: str) -> list[np.ndarray]:
        """Per row (estimators, perfect CSI): the errors of the metric's unit so far."""
        return [np.concatenate(v) for v in (self.bit if metric == "ber" else
                                            self.block).values()]

    def arrays(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """({row: bit errors}, {row: block errors}), [n] or [n, U] each."""
        return ({n: np.concatenate(v) for n, v in self.bit.items()},
                {n: np.concatenate(v) for n, v in self.block.items()})


class _Stopping:
    """The stopping rule per SNR group (module docstring), from the group ``snr_g`` [N] of
    every grid of the dataset."""

    def __init__(self, snr_g: np.ndarray, metric: str, min_errors: int,
                 max_grids: int | None):
        self.snr_g, self.metric = snr_g, metric
        self.min_errors, self.max_grids = min_errors, max_grids
        self.used: dict = {}
        self.done: dict = {}

    def take(self, index: np.ndarray) -> np.ndarray:
        """Bool [B]: the grids ``index`` [B] still needed; counts them as used."""
        take = np.zeros(len(index), dtype=bool)
        for i, g in enumerate(self.snr_g[index]):
            if not self.done.get(g, False) and (self.max_grids is None
                                                or self.used.get(g, 0) < self.max_grids):
                take[i] = True
                self.used[g] = self.used.get(g, 0) + 1
        return take

    def finished(self) -> bool:
        return all(self.done.get(g, False) for g in np.unique(self.snr_g))

    def update(self, taken: np.ndarray, used: np.ndarray, per_row: list[np.ndarray],
               size: int) -> None:
        """Decide the groups of the grids just ``taken`` from the errors ``per_row`` of
        every grid ``used`` so far (``size`` counted units per block)."""
        groups = self.snr_g[used]
        for g in np.unique(self.snr_g[taken]):
            self.done[g] = min(effective_errors(*per_grid(e[groups == g], size))
                               for e in per_row) >= self.min_errors


def _receive(chain: LinkChain, counts: LinkCounts, y, no, info, name: str,
             est: Estimate) -> None:
    link = chain.receive(y, est.h_hat, est.err_var, no, info)
    counts.add(name, link.bit_errors, link.block_errors)


def _run(core: EvaluationCore, chain: LinkChain, stop: _Stopping, seed: int,
         progress: bool) -> LinkCounts:
    """The dataset in order through the chain until ``stop``; per grid used, every
    estimator's NMSE terms (in ``core``) and link errors (returned), perfect CSI's too."""
    counts = LinkCounts(core.names)
    size = chain.info_bits if stop.metric == "ber" else 1
    gen = torch.Generator(core.device).manual_seed(seed)
    with torch.no_grad():
        for index, batch in core.batches(progress, stop.metric):
            take = stop.take(index)
            if not take.any():
                if stop.finished():
                    break
                continue
            sub = batch[torch.as_tensor(take, device=batch.h.device)]
            info, y = chain.transmit(sub.h, sub.y, sub.no, gen)
            receive = functools.partial(_receive, chain, counts, y, sub.no, info)
            core.estimate(index[take], sub, then=receive)
            receive(PERFECT_CSI, Estimate(sub.h, torch.zeros_like(sub.h.real)))
            stop.update(index[take], core.grids().index, counts.per_row(stop.metric), size)
    if not len(core.grids().index):
        raise ConfigError("no grid was evaluated", arg="dataset")
    return counts


def link_columns(bit: np.ndarray, block: np.ndarray, bits_per_block: int, modulation: str,
                 code_rate: float | None, level: float = 0.95) -> dict:
    """BER (and, when coded, BLER) columns of a results row from per-block error counts
    ``bit`` and ``block``: [n] (one block per grid) or [n, U] (one per grid and user;
    intervals clustered by grid, :mod:`chanest.link.intervals`)."""
    ber = clustered_rate(*per_grid(bit, bits_per_block), level)
    row = dict(ber=ber[0], ber_lo=ber[1], ber_hi=ber[2], bit_errors=int(bit.sum()),
               bits=bit.size * bits_per_block, modulation=modulation,
               code_rate=code_rate if code_rate is not None else "")
    if code_rate is not None:
        grids, users = per_grid(block, 1)
        bler = wilson(float(block.sum()), float(block.size), level) if users == 1 else \
            clustered_rate(grids, users, level)
        row.update(bler=bler[0], bler_lo=bler[1], bler_hi=bler[2],
                   block_errors=int(block.sum()), blocks=block.size)
    return row


def evaluate_link(dataset, names: list[str], metric: str = "ber", modulation: str = "qpsk",
                  code_rate: float = 0.5, min_errors: int = 100, max_grids: int | None = None,
                  device: str = "cpu", batch_size: int = 256, progress: bool = True,
                  fit_dataset=None, snr_bin_db: float | None = None, level: float = 0.95,
                  memory_gb: float = 4.0, seed: int = 0) -> LinkResult:
    """BER (uncoded) or BLER (5G NR transport blocks at ``code_rate``) of each estimator
    and perfect CSI.

    Args as :func:`chanest.evaluation.evaluate.evaluate`, plus: ``metric`` ber | bler;
    ``modulation`` qpsk | 16qam | 64qam; ``min_errors`` / ``max_grids`` the stopping rule
    per SNR group; ``seed`` of the data bits and their noise.
    """
    _check_options(metric, min_errors, max_grids)
    if isinstance(dataset, UserView):
        raise ConfigError("BER/BLER detect every user of a grid jointly; "
                                "evaluate one user alone with the nmse metric only", arg="user")
    core = EvaluationCore(dataset, names, device, batch_size, fit_dataset, memory_gb=memory_gb)
    num_rx_ant = dataset.read(0, 1).y.shape[1]  # A (y [n, A, P])
    chain = LinkChain(core.ctx, num_rx_ant, modulation, code_rate if metric == "bler" else None,
                      device)
    stop = _Stopping(snr_groups(dataset.column("snr_db"), snr_bin_db), metric, min_errors,
                     max_grids)
    counts = _run(core, chain, stop, seed, progress)
    grids = core.grids()
    snr_used = stop.snr_g[grids.index]
    reference = next((n for n in names if role_of(n) == "bound"), names[0])
    rows, paired = _link_rows(core, counts, chain, snr_used, grids.model, reference, level)
    prov = core.provenance(level, reference, snr_bin_db)
    prov["evaluation"]["metrics"] = {**METRIC_DEFINITIONS, **LINK_DEFINITIONS}
    prov["link"] = _link_provenance(chain, metric, min_errors, max_grids, seed,
                                    len(grids.index))
    return LinkResult(rows, paired, prov, columns=RESULT_COLUMNS + LINK_COLUMNS,
                      metric=metric)


def _link_rows(core: EvaluationCore, counts: LinkCounts, chain: LinkChain,
               snr_used: np.ndarray, model_g: np.ndarray, reference: str,
               level: float) -> tuple[list[dict], list[dict]]:
    """Summary rows with the link columns, perfect CSI's rows, and the paired deltas;
    ``snr_used``, ``model_g`` [n]: SNR group and model label of every grid used."""
    rows, paired = summarise(core.names, core.estimators, core.errors.arrays(), snr_used,
                             model_g, core.dataset.labels, reference, level)
    bit, block = counts.arrays()

    def columns(name: str, row: dict) -> dict:
        sel = (snr_used == row["snr_db"]) & ((model_g == row["model"]) | (row["model"] == "all"))
        return link_columns(bit[name][sel], block[name][sel], chain.info_bits,
                            chain.modulation, chain.code.rate, level)

    for row in rows:
        row.update(columns(row["estimator"], row))
    for row in [r for r in rows if r["estimator"] == core.names[0]]:
        rows.append(dict(estimator=PERFECT_CSI, is_bound=True, snr_db=row["snr_db"],
                         model=row["model"], n=row["n"], **columns(PERFECT_CSI, row)))
    return rows, paired


def _link_provenance(chain: LinkChain, metric: str, min_errors: int, max_grids: int | None,
                     seed: int, grids_used: int) -> dict:
    """The ``link`` entry of ``results.json``."""
    code = chain.code
    return {"metric": metric, "modulation": chain.modulation, "code_rate": code.rate,
            "transport_block_bits": code.tb_size if code.coded else None,
            "tb_crc_bits": code.tb_crc_bits if code.coded else None,
            "code_blocks_per_transport_block": code.code_blocks if code.coded else None,
            "cb_crc_bits": code.cb_crc_bits if code.coded else None,
            "coded_bits_per_block": code.coded_bits,
            "users": chain.num_users, "counted_bits_per_block": chain.info_bits,
            "min_errors": min_errors, "max_grids": max_grids, "seed": seed,
            "grids_used": grids_used, "equalizer": "sionna.phy.ofdm.LMMSEEqualizer",
            "demapper": "sionna.phy.mapping.Demapper('app')",
            "decoder": "sionna.phy.nr.TBDecoder (LDPC5GDecoder, 20 iterations; block error: "
                       "transport-block CRC failure)" if metric == "bler" else None}
