"""Any chanest estimator as a Sionna OFDM channel estimator.

``SionnaEstimator(resource_grid, "lmmse-adaptive")`` is a Sionna ``Block`` called
like Sionna's own estimators::

    h_hat, err_var = est(y, no)
    # y       [batch, num_rx, num_rx_ant, num_ofdm_symbols, fft_size] complex
    # no      [batch, num_rx, num_rx_ant] or its first n dims (n >= 0) float
    # h_hat   [batch, num_rx, num_rx_ant, num_tx, num_streams, num_ofdm_symbols,
    #          num_effective_subcarriers] complex
    # err_var same shape as h_hat, float: per-RE error variance, as Sionna's
    #         LMMSEEqualizer expects

Each (receiver, transmitter, stream) is estimated from that stream's own pilots,
all receive antennas of one receiver together (the L axis of chanest); see
:mod:`chanest.link.layout` for guard carriers, the DC null and multi-stream pilots.
The noise variance is averaged over a receiver's antennas. Pilots must have
constant modulus per stream; chanest estimators see the LS values at the pilots
(despread for code-division pilots) as observations of unit pilots, with the noise
variance scaled accordingly.

Statistics: estimators that need none (``ls-*``, ``dft``, ``lmmse-robust``,
``lmmse-adaptive``, ``pretrained:``/``ckpt:`` networks) work from the resource grid
alone. A network must have been trained for the stream's pilot layout; give one name
per stream when the layouts differ (frequency-division users). ``lmmse`` and the
separable LMMSE take the nominal statistics of a chanest ``scenario`` (a
:class:`~chanest.data.scenario.Scenario`, a YAML path or a mapping; only its channel models
and carrier frequency are used). Channels are assumed normalised to
unit average power per RE, as Sionna's TDL/CDL/Rayleigh models are by default.
Bounds and references (``genie-*``) need each grid's true parameters and are refused.

Statistics fitted from data: ``fit_data`` (a chanest dataset, or its path or glob, on the
span's grid and pilot layout) is passed to every estimator's ``fit`` (as ``--fit-data``
does), e.g. ``lmmse-kron``'s spatial and time-frequency covariances, so a spatial estimator
uses the receiver's array: it sees all ``num_rx_ant`` antennas of a receiver at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from sionna.phy import Block

from chanest.channels.arrays import ula
from chanest.data.context import check_compatible, context_from_samplers
from chanest.data.scenario import Scenario, load_config, parse_config
from chanest.estimators.base import Estimator, GridContext, Observation
from chanest.grid.despread import Despreader
from chanest.link.layout import SpanLayout, span_grid, span_layout
from chanest.schema import ConfigError

__all__ = ["SionnaEstimator"]


def _scenario(scenario) -> Scenario | None:
    if scenario is None or isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, (str, Path)):
        return load_config(scenario)
    return parse_config(scenario, source="scenario")


@contextmanager
def _opened(fit_data) -> Iterator:
    """The training dataset ``fit_data`` (a dataset, its path or a glob; None: None),
    closed on exit when opened here."""
    if not isinstance(fit_data, (str, Path)):
        yield fit_data
        return
    from chanest.data.dataset import open_dataset

    with open_dataset(fit_data) as dataset:
        yield dataset


def _statistics(grid, scenario: Scenario | None, device: str):
    """(samplers, weights) of the scenario's channel models on ``grid``, or None."""
    if scenario is None:
        return None
    weights = np.array([m.weight for m in scenario.channel.models], dtype=float)
    return ([m.sampler(grid, ula(1), device) for m in scenario.channel.models],
            weights / weights.sum())


class SionnaEstimator(Block):
    """A chanest estimator (registry name, ``pretrained:NAME`` or ``ckpt:PATH``) on a
    ``sionna.phy.ofdm.ResourceGrid``; shapes in the module docstring.

    Args:
        resource_grid: the Sionna resource grid, with its pilot pattern.
        estimator: chanest estimator name, or one name per (transmitter, stream) in
            transmitter-major order (e.g. a network trained for each user's pilot layout).
        scenario: nominal channel statistics for estimators that use them (optional;
            default: the scenario of ``fit_data`` when given).
        precision, device: as for any Sionna block.
        fit_data: a chanest dataset (or its path or glob) on the span's pilot layout whose
            channels fit the estimators' statistics (optional; module docstring).
        **options: estimator options (as in the registry).
    """

    def __init__(self, resource_grid, estimator: str | Sequence[str] = "lmmse-adaptive",
                 scenario=None, precision=None, device=None, fit_data=None, **options):
        super().__init__(precision=precision, device=device)
        from sionna.phy.ofdm import ResourceGrid

        if not isinstance(resource_grid, ResourceGrid):
            raise ConfigError("resource_grid: give a sionna.phy.ofdm.ResourceGrid, got "
                              f"{type(resource_grid).__name__}")
        self.layout: SpanLayout = span_layout(resource_grid)
        names = [estimator] * len(self.layout.streams) if isinstance(estimator, str) \
            else list(estimator)
        if len(names) != len(self.layout.streams):
            raise ConfigError(f"give one name or one per stream "
                              f"({len(self.layout.streams)}), got {len(names)}", arg="estimator")
        built: dict[tuple, Estimator] = {}
        self.estimators: list[Estimator] = []  # one per stream (shared when pilots match)
        with _opened(fit_data) as fit:
            scn = _scenario(scenario) if scenario is not None or fit is None else fit.scenario
            grid = span_grid(resource_grid, self.layout, scn)
            stats = _statistics(grid, scn, self.device)
            for stream, name in zip(self.layout.streams, names):
                key = (stream.key(), name)
                if key not in built:
                    built[key] = self._build(name, grid, stream.mask, stats, fit, options)
                self.estimators.append(built[key])
        self.name = estimator if isinstance(estimator, str) else "|".join(names)
        self._effective = torch.as_tensor(self.layout.effective, device=self.device)
        self._despread = [Despreader(s.src_idx, s.weights, s.noise_gain, self.device)
                          for s in self.layout.streams]

    def _build(self, name: str, grid, mask, stats, fit, options: dict) -> Estimator:
        """Estimator ``name`` for one stream's pilot ``mask`` [S, W] (unit LS values),
        fitted on the dataset ``fit`` when given; receivers only."""
        from chanest.estimators.registry import build_estimator

        ones = np.ones(int(mask.sum()), dtype=np.complex64)  # LS values: unit x
        ctx = GridContext(grid=grid, mask=mask, pilots=ones) if stats is None \
            else context_from_samplers(grid, mask, ones, *stats)
        est = build_estimator(name, ctx, self.device, **options)
        if est.role != "practical":
            raise ConfigError(f"{name} is a {est.role} (it reads each grid's true channel "
                              "parameters), not a receiver", arg="estimator")
        if fit is not None:
            check_compatible(fit.context(), ctx, ("the training data", "the resource grid"),
                             arg="fit_data", fields=("mask",))
            est.fit(fit)
        return est

    def call(self, y: torch.Tensor, no: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        lay = self.layout
        b, R, A, S, _ = y.shape
        y_span = y[..., lay.lo:lay.hi].reshape(b * R, A, S * lay.width)
        no_t = torch.as_tensor(no, dtype=self.dtype, device=y.device)
        no_t = no_t.reshape(*no_t.shape, *([1] * (3 - no_t.dim()))).expand(b, R, A)
        no_grid = no_t.mean(-1).reshape(b * R).float()  # [b*R]
        h_parts, e_parts = [], []
        for est, despread in zip(self.estimators, self._despread):
            obs = Observation(*despread(y_span.to(torch.complex64), no_grid))  # [b*R, A, P]
            out = est.estimate(obs)  # [b*R, A, S, W]
            h_parts.append(out.h_hat.index_select(-1, self._effective))
            e_parts.append(out.err_var.index_select(-1, self._effective))
        shape = (b, R, A, lay.num_tx, lay.num_streams, S, len(lay.effective))
        h_hat = torch.stack(h_parts, dim=2).reshape(shape)
        err_var = torch.stack(e_parts, dim=2).reshape(shape)
        return h_hat.to(self.cdtype), err_var.to(self.dtype)
