"""Multi-user uplink through Sionna with chanest estimators: NMSE, BER and BLER vs SNR.

Per batch (fresh channels, bits and noise from Sionna's generator, seeded from the
config's seed, SNR and batch and restored afterwards; the Kronecker pilot symbols are
seeded too)::

    bits → [TBEncoder] → Mapper → ResourceGridMapper → OFDMChannel(TDL, U users → L
    antennas) → estimator (per user and antenna) → LMMSEEqualizer (joint detection of the
    U users) → Demapper → [TBDecoder: CRC check] → errors per (grid, user)

Every estimator and perfect CSI see the same received grids. Estimators are chanest
names through :class:`~chanest.link.adapter.SionnaEstimator` (``lmmse`` and the separable
LMMSE get the configured TDL statistics) or ``sionna-ls`` (Sionna's LS with linear
interpolation). Per SNR, batches run until every row has ``min_errors`` errors (block
errors when coded, else bit errors) or ``max_batches`` batches.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from chanest.evaluation.core import ErrorLog
from chanest.evaluation.results import METRIC_DEFINITIONS, RESULT_COLUMNS, RESULTS_SCHEMA
from chanest.evaluation.summary import summary_row
from chanest.link.chain import MODULATIONS, TransportCode
from chanest.link.evaluate import (
    LINK_COLUMNS,
    LINK_DEFINITIONS,
    PERFECT_CSI,
    LinkCounts,
    LinkResult,
    link_columns,
)
from chanest.link.intervals import effective_errors, per_grid
from chanest.link.uplink_config import UplinkConfig
from chanest.metrics import SampleErrors, sample_errors
from chanest.schema import ConfigError
from chanest.seeding import derive_seed, sionna_rng_seeded
from chanest.versions import versions

__all__ = ["SIONNA_LS", "UplinkSystem", "run_uplink"]

SIONNA_LS = "sionna-ls"


def _scenario(cfg: UplinkConfig) -> dict:
    """The chanest scenario whose statistics ``lmmse`` uses: the configured TDL."""
    return {"grid": {"preset": None, "num_subcarriers": cfg.subcarriers,
                     "num_symbols": cfg.num_symbols,
                     "subcarrier_spacing": cfg.subcarrier_spacing,
                     "carrier_frequency": cfg.carrier_frequency},
            "pilots": {"pattern": "block", "symbols": [cfg.pilot_symbols[0]]},
            "channel": {"models": [{"model": "tdl", "profile": cfg.channel.profile,
                                    "delay_spread_ns": cfg.channel.delay_spread_ns,
                                    "speed_mps": list(cfg.channel.speed_mps)}]}}


def _pilot_pattern(cfg: UplinkConfig):
    """Sionna pilot pattern string or object for fdm / tdm / cdm pilots."""
    from sionna.phy.ofdm import PilotPattern

    if cfg.pilots == "fdm":
        return "kronecker"
    U, S, F, n_sym = cfg.users, cfg.num_symbols, cfg.subcarriers, len(cfg.pilot_symbols)
    mask = torch.zeros(1, U, S, F, dtype=torch.bool)
    mask[0, :, cfg.pilot_symbols] = True  # every stream lists all pilot REs (Sionna style)
    g = torch.Generator().manual_seed(cfg.seed + 0x50)
    qpsk = torch.exp(1j * (np.pi / 4 + np.pi / 2 * torch.randint(0, 4, (n_sym, F),
                                                                   generator=g)))  # [n, F]
    code = torch.zeros(U, n_sym, F, dtype=torch.complex64)
    if cfg.pilots == "tdm":
        for i in range(n_sym):
            code[i % U, i] = 1.0  # symbol i belongs to user i mod U
    else:  # cdm: user u on comb u // 2, cover code (+1, (-1)^u) over adjacent comb REs
        pairs = -(-U // 2)
        for u in range(U):
            comb = torch.arange(u // 2, F, pairs)
            occ = torch.ones(len(comb)) if u % 2 == 0 else (-1.0) ** torch.arange(len(comb))
            code[u, :, comb] = occ.to(torch.complex64) * np.sqrt(pairs)
    pilots = (qpsk[None] * code).to(torch.complex64).reshape(1, U, -1)
    return PilotPattern(mask, pilots)


class UplinkSystem:
    """The Sionna blocks of one configuration."""

    def __init__(self, cfg: UplinkConfig, device: str = "cpu"):
        from sionna.phy.channel import OFDMChannel
        from sionna.phy.channel.tr38901 import TDL
        from sionna.phy.mapping import BinarySource, Demapper, Mapper
        from sionna.phy.mimo import StreamManagement
        from sionna.phy.ofdm import LMMSEEqualizer, ResourceGrid, ResourceGridMapper

        self.cfg, self.device, U = cfg, device, cfg.users
        self.m = MODULATIONS[cfg.modulation]
        with sionna_rng_seeded(device, derive_seed(cfg.seed, "pilots")):  # Kronecker draws
            self.rg = ResourceGrid(num_ofdm_symbols=cfg.num_symbols, fft_size=cfg.fft_size,
                                   subcarrier_spacing=cfg.subcarrier_spacing, num_tx=1,
                                   num_streams_per_tx=U,
                                   cyclic_prefix_length=int(round(cfg.fft_size * 144 / 2048)),
                                   num_guard_carriers=list(cfg.guard_carriers),
                                   dc_null=cfg.dc_null, pilot_pattern=_pilot_pattern(cfg),
                                   pilot_ofdm_symbol_indices=list(cfg.pilot_symbols),
                                   device=device)
        ch = cfg.channel
        self.tdl = TDL(ch.profile, ch.delay_spread_ns * 1e-9, cfg.carrier_frequency,
                       min_speed=ch.speed_mps[0], max_speed=ch.speed_mps[1],
                       num_rx_ant=cfg.rx_antennas, num_tx_ant=U, device=device)
        self.channel = OFDMChannel(self.tdl, self.rg, add_awgn=True, normalize_channel=True,
                                   return_channel=True, device=device)
        self.source, self.mapper = BinarySource(device=device), Mapper("qam", self.m,
                                                                       device=device)
        self.rgm = ResourceGridMapper(self.rg, device=device)
        self.eq = LMMSEEqualizer(self.rg, StreamManagement(np.ones([1, 1]), U), device=device)
        self.demapper = Demapper("app", "qam", self.m, device=device)
        self.code = TransportCode(int(self.rg.num_data_symbols) * self.m, self.m,
                                  cfg.code_rate, device)
        self.eff = torch.as_tensor(self.rg.effective_subcarrier_ind, device=device)

    def estimators(self, names: list[str]) -> list:
        from sionna.phy.ofdm import LSChannelEstimator

        from chanest.link.adapter import SionnaEstimator

        out = []
        for name in names:
            if name == SIONNA_LS:
                out.append(LSChannelEstimator(self.rg, interpolation_type="lin",
                                              device=self.device))
            else:  # "a|b|…": one estimator per user (e.g. networks per pilot layout)
                per_user = name.split("|") if "|" in name else name
                out.append(SionnaEstimator(self.rg, per_user, scenario=_scenario(self.cfg),
                                           device=self.device))
        return out

    def transmit(self, batch: int, no: torch.Tensor):
        """info bits [B, 1, U, K] and (y, h_eff [B, 1, L, 1, U, S, F_eff])."""
        U = self.cfg.users
        info = self.source([batch, 1, U, self.code.info_bits])
        coded = self.code.encode(info)
        y, h = self.channel(self.rgm(self.mapper(coded)), no)
        return info, y, h[..., self.eff]

    def errors(self, y, h_hat, err_var, no, info) -> tuple[np.ndarray, np.ndarray]:
        """Bit errors and block errors per grid and user, [B, U] each."""
        x_hat, no_eff = self.eq(y, h_hat, err_var, no)
        llr = self.demapper(x_hat, no_eff)  # [B, 1, U, bits]
        wrong, block = self.code.errors(llr, info)  # [B, 1, U] each
        B = info.shape[0]
        return wrong.reshape(B, -1).cpu().numpy(), block.reshape(B, -1).cpu().numpy()


def _per_user(t: torch.Tensor) -> torch.Tensor:
    """[B, 1, L, 1, U, S, F] → [B·U, L, S, F]: each (grid, user) as one chanest grid."""
    return t[:, 0, :, 0].movedim(2, 1).flatten(0, 1)


def _user_errors(h, h_hat, err_var) -> SampleErrors:
    """Per (grid, user) errors (:func:`chanest.metrics.sample_errors`), [B·U] each."""
    return sample_errors(_per_user(h), _per_user(h_hat), _per_user(err_var.expand_as(h.real)))


class _SnrPoint:
    """One SNR of the sweep: batches until every row has ``min_errors`` errors of its unit
    (module docstring) or ``max_batches``; per (grid, user) NMSE terms and link errors."""

    def __init__(self, system: UplinkSystem, names: list[str], index: int, snr: float):
        self.system, self.names, self.index, self.snr = system, names, index, snr
        self.errors, self.counts = ErrorLog(names), LinkCounts(names)
        self.batches = 0

    def run(self, estimators: list, seconds: dict, progress) -> None:
        cfg, system = self.system.cfg, self.system
        no = torch.tensor(10 ** (-self.snr / 10), device=system.device)
        metric = "bler" if system.code.coded else "ber"
        size = 1 if system.code.coded else system.code.info_bits
        for b in range(cfg.max_batches):
            with sionna_rng_seeded(system.device, derive_seed(cfg.seed, "batch", self.index, b)):
                info, y, h = system.transmit(cfg.batch_size, no)
            for name, est in [*zip(self.names, estimators), (PERFECT_CSI, None)]:
                t0 = time.perf_counter()
                h_hat, ev = (h, torch.zeros_like(h.real)) if est is None else est(y, no)
                bit, block = system.errors(y, h_hat, ev, no, info)
                if est is not None:
                    seconds[name] += time.perf_counter() - t0
                    self.errors.add(name, _user_errors(h, h_hat, ev))
                self.counts.add(name, bit, block)
            self.batches = b + 1
            if progress:
                progress(self.snr, b + 1)
            if min(effective_errors(*per_grid(e, size))
                   for e in self.counts.per_row(metric)) >= cfg.min_errors:
                break

    def rows(self, level: float) -> list[dict]:
        """One row per estimator and perfect CSI (model left to the caller)."""
        out, system = [], self.system
        nmse = self.errors.arrays()
        bits, blocks = self.counts.arrays()
        for name in [*self.names, PERFECT_CSI]:
            bit, block = bits[name], blocks[name]
            sel = np.ones(bit.size, dtype=bool)
            row = {"estimator": name, "is_bound": name == PERFECT_CSI, "snr_db": self.snr,
                   "n": bit.size}
            if name != PERFECT_CSI:
                row.update(summary_row(name, False, self.snr, "", nmse[name], sel, level))
            row.update(link_columns(bit, block, system.code.info_bits, system.cfg.modulation,
                                    system.cfg.code_rate, level))
            out.append(row)
        return out


def run_uplink(cfg: UplinkConfig, names: list[str], device: str = "cpu", progress=None,
               level: float = 0.95) -> LinkResult:
    """NMSE, BER and (coded) BLER per estimator and SNR; rows as ``evaluate``'s.

    ``progress(snr, batches)`` is called after every batch."""
    if not names:
        raise ConfigError("give at least one estimator", arg="names")
    system = UplinkSystem(cfg, device)
    estimators = system.estimators(names)
    rows, seconds, batches_run = [], dict.fromkeys(names, 0.0), {}
    with torch.no_grad():
        for si, snr in enumerate(cfg.snr_db):
            point = _SnrPoint(system, names, si, snr)
            point.run(estimators, seconds, progress)
            batches_run[snr] = point.batches
            rows += point.rows(level)
    model = f"tdl-{cfg.channel.profile}"
    for row in rows:
        row["model"] = model
    metric = "bler" if system.code.coded else "ber"
    prov = {"schema": RESULTS_SCHEMA, "schema_version": 1, "uplink": cfg.model_dump(mode="json"),
            "estimators": [{"name": n, "seconds": round(seconds[n], 3)} for n in names],
            "batches_per_snr": batches_run, "link": {
                "metric": metric, "users": cfg.users,
                "rx_antennas": cfg.rx_antennas, "counted_bits_per_user": system.code.info_bits,
                "equalizer": "sionna.phy.ofdm.LMMSEEqualizer (joint over users)"},
            "evaluation": {"confidence": level, "metrics": {**METRIC_DEFINITIONS,
                                                            **LINK_DEFINITIONS}},
            "versions": versions()}
    return LinkResult(rows, [], prov, columns=RESULT_COLUMNS + LINK_COLUMNS, metric=metric)
