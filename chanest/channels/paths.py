"""The propagation paths behind a grid, in the low-rank form a per-grid reference needs.

A geometric channel (3GPP CDL and UMi/UMa/RMa rays, ray-traced paths) is a sum of K paths,
each with a fixed response over the array, a Doppler shift and a delay, and a phase that
no receiver knows::

    h[a, s, f] = Σ_k  e^{jΦ_k} · g[k, a] · e^{j2π ν_k t_s} · e^{−j2π f τ_k}

:class:`Paths` holds ``g`` [n, K, A], ``ν`` [n, K] and ``τ`` [n, K] for n grids. With the
phases Φ_k independent and uniform, the covariance of a grid given its paths is
``R = Σ_k v_k v_kᴴ`` with ``v_k = g_k ⊗ d(ν_k) ⊗ e(τ_k)`` (rank ≤ K); the LMMSE built on it
is a *reference*, not an MMSE bound, because the channel given its paths is not Gaussian.

For Sionna's 38.901 models, :func:`ray_paths` reads the paths from the very rays and topology
Sionna's ``ChannelCoefficientsGenerator`` used for a draw (TR 38.901 (7.5-22)–(7.5-30)):
every ray contributes one path per polarisation pair (θθ, θφ, φθ, φφ, whose random phases
are independent in (7.5-22)); a LoS link adds the specular path. Pairs that vanish for the
arrays in use (e.g. vertical elements at both ends) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["Paths", "ray_paths", "PathRecorder"]

_PI = 3.141592653589793


@dataclass
class Paths:
    """K paths per grid (zero gain = padding).

    Attributes:
        gain: [n, K, A] complex64 response of each path at each receive antenna.
        doppler: [n, K] float32 Doppler shift ν_k [Hz].
        delay: [n, K] float32 delay τ_k [s].
    """

    gain: torch.Tensor
    doppler: torch.Tensor
    delay: torch.Tensor

    def map(self, fn) -> Paths:
        """``fn`` applied to each tensor (slicing along grids, moving to a device)."""
        return Paths(fn(self.gain), fn(self.doppler), fn(self.delay))

    def __getitem__(self, idx) -> Paths:
        return self.map(lambda t: t[idx])

    def to(self, device) -> Paths:
        return self.map(lambda t: t.to(device))

    @staticmethod
    def cat(parts: list[Paths]) -> Paths:
        """Concatenate along grids, padding K with zero-gain paths."""
        k = max(p.gain.shape[1] for p in parts)

        def pad(t: torch.Tensor) -> torch.Tensor:
            extra = k - t.shape[1]
            if not extra:
                return t
            shape = (t.shape[0], extra, *t.shape[2:])
            return torch.cat([t, t.new_zeros(shape)], dim=1)

        return Paths(torch.cat([pad(p.gain) for p in parts]),
                     torch.cat([pad(p.doppler) for p in parts]),
                     torch.cat([pad(p.delay) for p in parts]))

    def response(self, times: torch.Tensor, freqs: torch.Tensor,
                 phases: torch.Tensor | None = None) -> torch.Tensor:
        """``Σ_k e^{jΦ_k} g_k ⊗ d(ν_k) ⊗ e(τ_k)``: the grid these paths make.

        Args:
            times: [S] symbol times [s].  freqs: [F] subcarrier frequencies [Hz].
            phases: [n, K] Φ_k (default 0).

        Returns:
            h: [n, A, S, F] complex64.
        """
        dop = torch.exp(2j * _PI * self.doppler.double()[..., None] * times.double())  # [n,K,S]
        dly = torch.exp(-2j * _PI * self.delay.double()[..., None] * freqs.double())  # [n,K,F]
        g = self.gain.to(torch.complex128)
        if phases is not None:
            g = g * torch.exp(1j * phases.double())[..., None]
        return torch.einsum("nka,nks,nkf->nasf", g, dop, dly).to(torch.complex64)

    def power(self) -> torch.Tensor:
        """[n] expected grid power given the paths: mean over antennas of Σ_k |g_k|²."""
        return (self.gain.abs() ** 2).sum(1).mean(-1)


def _unit(theta: torch.Tensor, phi: torch.Tensor) -> torch.Tensor:
    """Unit vectors (7.1-6), shape theta.shape + [3]."""
    return torch.stack([torch.sin(theta) * torch.cos(phi), torch.sin(theta) * torch.sin(phi),
                        torch.cos(theta)], dim=-1)


def _doppler(topology, zoa, aoa, zod, aod, wavelength: float) -> torch.Tensor:
    """ν = r̂·v / λ for the moving end (7.5-25), shape of ``aoa``."""
    v = topology.velocities  # [B, tx or rx, 3]
    if topology.moving_end == "rx":
        direction, v = _unit(zoa, aoa), v[:, None]  # [B, 1, rx, 3]
    else:
        direction, v = _unit(zod, aod), v[:, :, None]  # [B, tx, 1, 3]
    extra = direction.dim() - v.dim()
    v = v.reshape(*v.shape[:3], *([1] * extra), 3)
    return (direction * v).sum(-1) / wavelength


def _ray_delays(gen, rays, c_ds) -> torch.Tensor:
    """Delay of every ray [B, tx, rx, C, M]: its cluster's, or its sub-cluster's for the
    two strongest clusters when the generator splits them (7.5-26 and Table 7.5-5)."""
    delays = rays.delays  # [B, tx, rx, C]
    m = rays.aoa.shape[-1]
    out = delays[..., None].expand(*delays.shape, m).clone()
    if not gen._subclustering:
        return out
    strongest = getattr(rays, "strongest_cluster_indices", None)
    if strongest is None:
        strongest = torch.argsort(rays.powers, dim=-1, descending=True)[..., :2]
    offsets = gen._sub_cl_delay_offsets  # [3]
    flat = out.reshape(-1, *out.shape[-2:])  # [B·tx·rx, C, M]
    links = torch.arange(flat.shape[0], device=flat.device)[:, None]
    for j in range(2):
        idx = strongest[..., j].reshape(-1, 1)  # [B·tx·rx, 1] cluster split into three
        base = torch.gather(delays, -1, strongest[..., j:j + 1]).reshape(-1, 1)
        for sub, rays_of in enumerate((gen._sub_cl_1_ind, gen._sub_cl_2_ind,
                                       gen._sub_cl_3_ind)):
            flat[links, idx, rays_of[None, :]] = base + offsets[sub] * c_ds.reshape(-1, 1)
    return flat.reshape(out.shape)


def ray_paths(gen, k_factor: torch.Tensor, rays, topology, c_ds=None,
              prune: bool = True) -> Paths:
    """The paths of one draw of Sionna's ``ChannelCoefficientsGenerator`` ``gen``.

    Args:
        gen: the generator (its arrays, carrier and sub-clustering).
        k_factor: [B, tx, rx] Rician K-factor (linear).
        rays, topology, c_ds: what ``gen`` was called with.
        prune: leave out the polarisation pairs that carry no power in any grid.

    Returns:
        :class:`Paths` of the single link (tx 0 → rx 0, transmit antenna 0): gains over the
        receive antennas; paths ordered (pair θθ, θφ, φθ, φφ; cluster; ray), then the
        specular path when a grid has a LoS link.
    """
    aoa, aod, zoa, zod = rays.aoa, rays.aod, rays.zoa, rays.zod  # [B, tx, rx, C, M]
    m = aoa.shape[-1]
    array = gen._step_11_array_offsets(topology, aoa, aod, zoa, zod)  # [B,tx,rx,C,M,Ar,At]
    amp = torch.sqrt(rays.powers / m)[..., None, None, None].to(array.dtype)  # [B,tx,rx,C,1,1,1]
    los = topology.los  # [B, tx, rx]
    nlos_scale = torch.where(los, torch.sqrt(1.0 / (k_factor + 1.0)), torch.ones_like(k_factor))
    nlos_scale = nlos_scale[..., None, None, None, None].to(array.dtype)
    xpr = torch.sqrt(1.0 / rays.xpr)
    gains = []
    for i in range(2):
        for j in range(2):
            h_phase = torch.zeros(*aoa.shape, 2, 2, dtype=array.dtype, device=aoa.device)
            h_phase[..., i, j] = 1.0 if i == j else xpr.to(array.dtype)
            field = gen._step_11_field_matrix(topology, aoa, aod, zoa, zod, h_phase)
            gains.append(field * array * amp * nlos_scale)  # [B, tx, rx, C, M, Ar, At]
    g = torch.stack(gains, dim=3)[:, 0, 0, ..., 0]  # [B, 4, C, M, Ar]
    keep = g.abs().flatten(2).amax(-1).amax(0) > 0  # [4] pairs that carry power
    if not prune:
        keep = torch.ones_like(keep)
    g = g[:, keep]
    wavelength = float(gen._lambda_0)
    nu = _doppler(topology, zoa, aoa, zod, aod, wavelength)[:, 0, 0]  # [B, C, M]
    tau = _ray_delays(gen, rays, c_ds)[:, 0, 0]  # [B, C, M]
    n_pairs = int(keep.sum())
    gain = g.reshape(g.shape[0], -1, g.shape[-1])  # [B, K, Ar]
    doppler = nu[:, None].expand(-1, n_pairs, -1, -1).reshape(nu.shape[0], -1)
    delay = tau[:, None].expand(-1, n_pairs, -1, -1).reshape(tau.shape[0], -1)
    if bool(los.any()):
        gain, doppler, delay = _with_los(gen, topology, k_factor, rays, gain, doppler, delay,
                                         wavelength, c_ds)
    return Paths(gain.to(torch.complex64), doppler.float(), delay.float())


def _with_los(gen, topology, k_factor, rays, gain, doppler, delay, wavelength, c_ds):
    """Append the specular path of LoS links (7.5-29, 7.5-30); zero gain on NLoS links. It
    arrives with the earliest cluster."""
    t0 = torch.zeros(1, dtype=topology.los_aoa.dtype, device=gain.device)
    h_los = gen._step_11_los(topology, t0)[:, 0, 0, 0, :, 0, 0]  # [B, Ar]
    scale = torch.sqrt(k_factor / (k_factor + 1.0))[:, 0, 0]  # [B]
    h_los = h_los * torch.where(topology.los[:, 0, 0], scale, torch.zeros_like(scale))[:, None]
    args = [x[:, :, :, None, None] for x in (topology.los_zoa, topology.los_aoa,
                                              topology.los_zod, topology.los_aod)]
    nu = _doppler(topology, *args, wavelength)[:, 0, 0, 0, 0]  # [B]
    tau = _ray_delays(gen, rays, c_ds)[:, 0, 0].flatten(1).amin(-1)  # [B] earliest
    return (torch.cat([gain, h_los[:, None]], 1), torch.cat([doppler, nu[:, None]], 1),
            torch.cat([delay, tau[:, None]], 1))


class PathRecorder(torch.nn.Module):
    """Stands in for a Sionna ``ChannelCoefficientsGenerator`` inside a channel model (which
    only calls it) and records the paths of each call (:attr:`paths`) while ``record`` is
    set; it draws exactly what the generator would.

    Install with :meth:`install` on a model attribute (``"_cir_gen"`` of ``CDL``,
    ``"_cir_sampler"`` of UMi/UMa/RMa).
    """

    def __init__(self, gen):
        super().__init__()
        self.gen = gen
        self.record = False
        self.paths: Paths | None = None

    @classmethod
    def install(cls, model, attr: str) -> PathRecorder:
        rec = cls(getattr(model, attr))
        setattr(model, attr, rec)
        return rec

    def __call__(self, num_time_samples, sampling_frequency, k_factor, rays, topology,
                 c_ds=None, debug=False):
        out = self.gen(num_time_samples, sampling_frequency, k_factor, rays, topology, c_ds,
                       debug)
        if self.record:
            self.paths = ray_paths(self.gen, k_factor, rays, topology, c_ds)
        return out
