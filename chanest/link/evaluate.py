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

import time
from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from chanest.data.context import check_compatible
from chanest.data.userview import UserView
from chanest.estimators.base import estimate_bounded, observe
from chanest.estimators.registry import build_estimator, role_of
from chanest.evaluation.evaluate import (
    METRIC_DEFINITIONS,
    RESULT_COLUMNS,
    EvaluationResult,
    _provenance,
    _snr_groups,
    _summarise,
)
from chanest.link.chain import LinkChain
from chanest.link.intervals import clustered_rate, effective_errors, per_grid, wilson
from chanest.metrics import sample_errors
from chanest.schema import ConfigError

__all__ = ["LINK_METRICS", "LINK_COLUMNS", "PERFECT_CSI", "LinkResult", "evaluate_link",
           "link_columns"]

LINK_METRICS = ("ber", "bler")
LINK_COLUMNS = ["ber", "ber_lo", "ber_hi", "bit_errors", "bits", "bler", "bler_lo", "bler_hi",
                "block_errors", "blocks", "modulation", "code_rate"]
#: the reference row: equalization with the true channel and zero error variance
PERFECT_CSI = "perfect-csi"
LINK_DEFINITIONS = {
    "ber": "bit errors / bits: all data bits (uncoded) or information bits after LDPC "
           "decoding (code_rate set); CI: Wilson on bits / design effect over grids",
    "bler": "transport blocks (one per grid and user) with any wrong information bit / "
            "blocks; CI: Wilson",
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


class _Counts:
    """Per-grid records of the grids used: indices, NMSE terms and link errors."""

    def __init__(self, names):
        self.index, self.snr = [], []
        self.nmse = {n: {k: [] for k in ("mse", "err", "power", "nmse", "err_var")}
                     for n in names}
        self.bit = {n: [] for n in [*names, PERFECT_CSI]}
        self.block = {n: [] for n in [*names, PERFECT_CSI]}

    def arrays(self):
        cat = np.concatenate
        return (cat(self.index), {n: {k: cat(v) for k, v in d.items()} for n, d in
                                  self.nmse.items()},
                {n: cat(v) for n, v in self.bit.items()},
                {n: cat(v) for n, v in self.block.items()})


def _take(groups, used, done, max_grids) -> np.ndarray:
    """Bool [B]: grids of the batch (SNR groups ``groups``) still needed."""
    take = np.zeros(len(groups), dtype=bool)
    for i, g in enumerate(groups):
        if not done.get(g, False) and (max_grids is None or used.get(g, 0) < max_grids):
            take[i] = True
            used[g] = used.get(g, 0) + 1
    return take


def _run(dataset, names, estimators, chain, snr_g, opts, progress):
    metric, min_errors, max_grids = opts["metric"], opts["min_errors"], opts["max_grids"]
    counts, used, done = _Counts(names), {}, {}
    seconds = dict.fromkeys(names, 0.0)
    gen = torch.Generator(opts["device"]).manual_seed(opts["seed"])
    bar = tqdm(total=len(dataset), unit="grid", disable=not progress, desc=metric,
               dynamic_ncols=True)
    start = 0
    with torch.no_grad():
        for batch in dataset.iter_batches(opts["batch_size"], opts["device"]):
            idx = np.arange(start, start + len(batch))
            start += len(batch)
            bar.update(len(batch))
            take = _take(snr_g[idx], used, done, max_grids)
            if not take.any():
                if all(done.get(g, False) for g in np.unique(snr_g)):
                    break
                continue
            sub = batch[torch.as_tensor(take, device=batch.h.device)]
            info, y = chain.transmit(sub.h, sub.y, sub.no, gen)
            counts.index.append(idx[take])
            obs = observe(sub)
            for name, est in zip(names, estimators):
                t0 = time.perf_counter()
                out = estimate_bounded(est, obs, opts["memory_bytes"])
                link = chain.receive(y, out.h_hat, out.err_var, sub.no, info)
                seconds[name] += time.perf_counter() - t0
                errs = sample_errors(sub.h, out.h_hat, out.err_var)
                for key, lst in counts.nmse[name].items():
                    lst.append(getattr(errs, key))
                counts.bit[name].append(link.bit_errors)
                counts.block[name].append(link.block_errors)
            link = chain.receive(y, sub.h, torch.zeros_like(sub.h.real), sub.no, info)
            counts.bit[PERFECT_CSI].append(link.bit_errors)
            counts.block[PERFECT_CSI].append(link.block_errors)
            per_unit, size = ((counts.bit, chain.info_bits) if metric == "ber" else
                              (counts.block, 1))
            groups = snr_g[np.concatenate(counts.index)]  # of every grid used so far
            per_row = [np.concatenate(v) for v in per_unit.values()]
            for g in np.unique(snr_g[idx[take]]):
                done[g] = min(effective_errors(*per_grid(e[groups == g], size))
                              for e in per_row) >= min_errors
    bar.close()
    if not counts.index:
        raise ConfigError("no grid was evaluated", arg="dataset")
    return counts.arrays(), seconds


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
    """BER (uncoded) or BLER (5G LDPC at ``code_rate``) of each estimator and perfect CSI.

    Args as :func:`chanest.evaluation.evaluate.evaluate`, plus: ``metric`` ber | bler;
    ``modulation`` qpsk | 16qam | 64qam; ``min_errors`` / ``max_grids`` the stopping rule
    per SNR group; ``seed`` of the data bits and their noise.
    """
    _check_options(metric, min_errors, max_grids)
    if isinstance(dataset, UserView):
        raise ConfigError("BER/BLER detect every user of a grid jointly; "
                          "evaluate one user alone with the nmse metric only", arg="user")
    if len(dataset) == 0:
        raise ConfigError("the dataset holds no grids", arg="dataset")
    ctx = dataset.context()
    estimators = [build_estimator(n, ctx, device) for n in names]
    if fit_dataset is not None:
        check_compatible(fit_dataset.context(), ctx, ("the training data", "the test data"),
                         arg="fit_dataset")
        for est in estimators:
            est.fit(fit_dataset)
    num_rx_ant = dataset.read(0, 1).y.shape[1]  # A (y [n, A, P])
    chain = LinkChain(ctx, num_rx_ant, modulation, code_rate if metric == "bler" else None,
                      device)
    snr_g = _snr_groups(dataset.column("snr_db"), snr_bin_db)
    opts = dict(metric=metric, min_errors=min_errors, max_grids=max_grids, device=device,
                batch_size=batch_size, seed=seed, memory_bytes=memory_gb * 2**30)
    (index, nmse, bit, block), seconds = _run(dataset, names, estimators, chain, snr_g, opts,
                                              progress)
    snr_used = snr_g[index]
    model_g = np.array(list(dataset.labels), dtype=object)[dataset.column("model")[index]]
    reference = next((n for n in names if role_of(n) == "bound"), names[0])
    rows, paired = _summarise(names, estimators, nmse, snr_used, model_g, dataset.labels,
                              reference, level)
    for row in rows:
        sel = (snr_used == row["snr_db"]) & ((model_g == row["model"]) | (row["model"] == "all"))
        row.update(link_columns(bit[row["estimator"]][sel], block[row["estimator"]][sel],
                                chain.info_bits, modulation, chain.code.rate, level))
    for row in [r for r in rows if r["estimator"] == names[0]]:
        sel = (snr_used == row["snr_db"]) & ((model_g == row["model"]) | (row["model"] == "all"))
        rows.append(dict(estimator=PERFECT_CSI, is_bound=True, snr_db=row["snr_db"],
                         model=row["model"], n=row["n"],
                         **link_columns(bit[PERFECT_CSI][sel], block[PERFECT_CSI][sel],
                                        chain.info_bits, modulation, chain.code.rate, level)))
    prov = _provenance(dataset, fit_dataset, names, estimators, {}, seconds, device, batch_size,
                       level, reference, snr_bin_db)
    prov["evaluation"]["metrics"] = {**METRIC_DEFINITIONS, **LINK_DEFINITIONS}
    code = chain.code
    prov["link"] = {"metric": metric, "modulation": modulation, "code_rate": code.rate,
                    "codewords_per_grid": code.codewords if code.coded else None,
                    "codeword_bits": code.n if code.coded else None,
                    "info_bits_per_codeword": code.k if code.coded else None,
                    "users": chain.num_users, "counted_bits_per_block": chain.info_bits,
                    "min_errors": min_errors,
                    "max_grids": max_grids, "seed": seed, "grids_used": int(len(index)),
                    "equalizer": "sionna.phy.ofdm.LMMSEEqualizer",
                    "demapper": "sionna.phy.mapping.Demapper('app')",
                    "decoder": "sionna LDPC5GDecoder, 20 iterations" if metric == "bler"
                    else None}
    return LinkResult(rows, paired, prov, columns=RESULT_COLUMNS + LINK_COLUMNS,
                      metric=metric)
