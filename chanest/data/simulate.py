"""Simulator: Scenario → chunk-seeded batches of channel grids and pilot observations.

Reproducibility contract: a dataset is a sequence of chunks of
``scenario.chunk_size`` grids; chunk *k* is generated from seeds derived from
``(scenario.seed, k)`` only. Any batch size, shard split or resumption
therefore yields bit-identical data on a given device type, and the first N
grids of a larger dataset equal an N-grid dataset.

Per chunk, in this fixed order, our generator draws: model index per sample,
uniforms for delay spread / speed / SNR, the pilot noise; then each model's
sampler draws its fading from Sionna's generator (seeded for the chunk; its
previous state is restored afterwards).
"""

from __future__ import annotations

import math

import torch

from chanest.channels import SPEED_OF_LIGHT, ChannelSampler, Paths
from chanest.data.batch import Batch
from chanest.data.scenario import Scenario
from chanest.grid.ofdm import pilot_indices, pilot_mask, pilot_values
from chanest.grid.pilotcheck import pilot_layout_problems
from chanest.grid.users import scenario_users
from chanest.seeding import chunk_seeds, sionna_rng_seeded
from chanest.warn import warn

__all__ = ["Simulator", "chunk_seeds"]


def _scatter_paths(parts: list, batch: int) -> Paths:
    """One :class:`Paths` for ``batch`` grids from (grid indices, paths) of each model,
    padded with zero-gain paths to the longest."""
    k = max(p.gain.shape[1] for _, p in parts)
    a = parts[0][1].gain.shape[2]
    first = parts[0][1]
    out = Paths(first.gain.new_zeros(batch, k, a), first.doppler.new_zeros(batch, k),
                first.delay.new_zeros(batch, k))
    for idx, p in parts:
        n = p.gain.shape[1]
        out.gain[idx, :n], out.doppler[idx, :n], out.delay[idx, :n] = p.gain, p.doppler, p.delay
    return out


class Simulator:
    """Generates :class:`Batch` es for a scenario on one device.

    With a ``users:`` section (U users, :mod:`chanest.grid.users`) a grid holds every user's
    channel, user-major on the link axis (``h`` [B, U·A, S, F]), and the pilots the
    receiver sees at the union of their pilot REs (``y`` [B, A, P]).

    Attributes:
        mask: [S, F] bool pilot mask (numpy; the union of the users' REs).
        pilot_idx: [P] flat row-major pilot indices (numpy).
        pilots: [P] complex64 pilot symbols x_p (numpy); [U, P] with users.
        users: the :class:`~chanest.grid.users.UserLayout`, or None.
        samplers: one :class:`ChannelSampler` per model entry.
        labels: model label per entry.
    """

    def __init__(self, scenario: Scenario, device: str = "cpu"):
        self.scenario = scenario
        self.device = device
        grid, chan = scenario.grid, scenario.channel
        self.users = scenario_users(scenario)
        self.mask = pilot_mask(scenario.pilots, grid) if self.users is None else self.users.mask
        self.pilot_idx = pilot_indices(self.mask)
        self.pilots = pilot_values(scenario.pilots.values, len(self.pilot_idx),
                                   scenario.pilots.sequence_seed) if self.users is None \
            else self.users.pilots
        self.samplers: list[ChannelSampler] = [
            m.sampler(grid, chan.receiver, device) for m in chan.models]
        self.labels = [s.label for s in self.samplers]
        self._build_tables()
        max_fd = max((s.doppler_range[1] for s in self.samplers), default=0.0)
        masks = [self.mask] if self.users is None else \
            list({u.mask.tobytes(): u.mask for u in self.users.users}.values())  # per user
        for problem in dict.fromkeys(p for m in masks
                                     for p in pilot_layout_problems(m, grid, max_fd)):
            warn(problem)

    def _build_tables(self) -> None:
        dev = self.device
        weights = torch.tensor([m.weight for m in self.scenario.channel.models],
                               dtype=torch.float64)
        self._weights = (weights / weights.sum()).to(dev)
        def table(rows):
            return torch.tensor(rows, dtype=torch.float64, device=dev)
        self._ds = table([s.delay_spread_range for s in self.samplers])  # [M, 2] s
        self._fd = table([s.doppler_range for s in self.samplers])  # [M, 2] Hz
        self._doppler_per_speed = self.scenario.grid.carrier_frequency / SPEED_OF_LIGHT
        self._pilot_idx_t = torch.as_tensor(self.pilot_idx, device=dev)
        self._pilots_t = torch.as_tensor(self.pilots, device=dev).reshape(
            self.scenario.num_users, -1)  # [U, P]

    @property
    def mixture_weights(self) -> list[float]:
        """Probability of each model entry (weights normalised to 1)."""
        return self._weights.cpu().tolist()

    @property
    def num_links(self) -> int:
        """Links per grid in ``h``: users × receive antennas."""
        return self.scenario.num_users * self.scenario.channel.num_rx_antennas

    @property
    def chunk_size(self) -> int:
        return self.scenario.chunk_size

    def num_chunks(self, num_samples: int) -> int:
        return math.ceil(num_samples / self.chunk_size)

    def chunk(self, k: int) -> Batch:
        """Chunk ``k``: ``chunk_size`` grids, a function of (seed, k) only."""
        sc, B, U = self.scenario, self.chunk_size, self.scenario.num_users
        grid, L = sc.grid, sc.channel.num_rx_antennas  # L receive antennas
        S, F, P = grid.num_symbols, grid.num_subcarriers, len(self.pilot_idx)
        dev = self.device
        ours, theirs = chunk_seeds(sc.seed, k)
        gen = torch.Generator(device=dev).manual_seed(ours)

        model = torch.multinomial(self._weights, B, replacement=True, generator=gen)  # [B]
        u = torch.rand(3, B, generator=gen, device=dev, dtype=torch.float64)  # [3, B]
        noise = torch.randn(B, L, P, generator=gen, device=dev, dtype=torch.complex64)  # CN(0,1)

        # Uniform draws within each sample's model ranges (speed ∝ Doppler, so a
        # uniform speed range is a uniform Doppler range).
        ds_lo, ds_hi = self._ds[model].unbind(-1)  # [B] s
        fd_lo, fd_hi = self._fd[model].unbind(-1)  # [B] Hz
        ds = ds_lo + u[0] * (ds_hi - ds_lo)
        doppler = fd_lo + u[1] * (fd_hi - fd_lo)
        speed = doppler / self._doppler_per_speed
        snr_db = self._snr_db(k, u[2])  # [B]

        h, paths, params = self._draw(model, ds, doppler, gen, theirs)  # h [B, U·L, S, F]
        if "delay_spread_lsp" in params:  # models that draw their own delay spread
            ds = torch.where(torch.isnan(params["delay_spread_lsp"]), ds,
                             params["delay_spread_lsp"].to(ds.dtype))

        no = torch.pow(10.0, -snr_db / 10.0)  # [B]
        h_p = h.reshape(B, U, L, S * F)[..., self._pilot_idx_t]  # [B, U, L, P]
        y = (h_p * self._pilots_t[:, None]).sum(1) \
            + torch.sqrt(no).to(torch.float32)[:, None, None] * noise  # [B, L, P]
        return Batch(h=h, y=y, no=no.float(), snr_db=snr_db.float(), model=model,
                     delay_spread=ds.float(), doppler=doppler.float(), speed=speed.float(),
                     paths=paths, params=params)

    def _draw(self, model: torch.Tensor, ds: torch.Tensor, doppler: torch.Tensor,
              gen: torch.Generator, sionna_seed: int):
        """Every grid's channel from its model's sampler, in model order.

        Returns:
            h [B, U·L, S, F]; the grids' :class:`Paths` (``channel.paths``) or None; the
            per-grid parameters models drew themselves, name -> [B] (NaN for other models).
        """
        sc, dev = self.scenario, self.device
        B, U, L = len(model), sc.num_users, sc.channel.num_rx_antennas
        S, F = sc.grid.num_symbols, sc.grid.num_subcarriers
        h = torch.empty(B, U * L, S, F, dtype=torch.complex64, device=dev)
        parts, params = [], {}
        with sionna_rng_seeded(dev, sionna_seed):
            for m, sampler in enumerate(self.samplers):
                idx = torch.nonzero(model == m).squeeze(1)
                if not idx.numel():
                    continue
                out = sampler.draw(ds[idx].repeat_interleave(U),  # users: independent
                                   doppler[idx].repeat_interleave(U),  # fading, the grid's
                                   gen, paths=sc.channel.paths)  # parameters
                h[idx] = out.h.reshape(len(idx), U * L, S, F)
                if out.paths is not None:
                    parts.append((idx, out.paths))
                for name, value in out.params.items():
                    params.setdefault(name, torch.full((B,), float("nan"), device=dev))
                    params[name][idx] = value.to(dev).float()
        return h, _scatter_paths(parts, B) if parts else None, params

    def _snr_db(self, k: int, u: torch.Tensor) -> torch.Tensor:
        noise = self.scenario.noise
        if noise.snr_db_range is not None:
            lo, hi = noise.snr_db_range
            return lo + u * (hi - lo)
        # List mode: cycle by global sample index, so every SNR has an equal share.
        values = torch.tensor(noise.snr_db, dtype=torch.float64, device=self.device)
        index = (k * self.chunk_size + torch.arange(len(u), device=self.device)) % len(values)
        return values[index]

    def generate(self, num_samples: int, start: int = 0, chunk=None) -> Batch:
        """Grids ``start … start+num_samples-1`` of the dataset (whole chunks, then sliced).

        ``chunk``: optional ``k -> Batch`` to use instead of :meth:`chunk` (e.g. a cache).
        """
        chunk = chunk or self.chunk
        first, last = start // self.chunk_size, (start + num_samples - 1) // self.chunk_size
        batch = Batch.cat([chunk(k) for k in range(first, last + 1)])
        offset = start - first * self.chunk_size
        return batch[offset:offset + num_samples]
