"""The unit of data that flows from the simulator and datasets to estimators."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from chanest.channels.paths import Paths

__all__ = ["Batch", "TENSOR_FIELDS"]

#: the per-grid tensors every batch has, in this order
TENSOR_FIELDS = ("h", "y", "no", "snr_db", "model", "delay_spread", "doppler", "speed")


@dataclass
class Batch:
    """B simulated grids with their pilot observations and channel parameters.

    Attributes:
        h: [B, L, S, F] complex64 true channel (L = U·A, user-major, with U users).
        y: [B, L, P] complex64 received pilots y = h_p · x_p + n, in the row-major
            order of the pilot mask; n ~ CN(0, no). With users: [B, A, P], the sum of
            every user's h_p · x_p at the union of their pilot REs, plus n.
        no: [B] float32 noise variance (linear); SNR = 1/no.
        snr_db: [B] float32 SNR [dB].
        model: [B] int64 index into the dataset's model labels/profiles.
        delay_spread: [B] float32 RMS delay spread [s] the taps were scaled to.
        doppler: [B] float32 maximum Doppler [Hz].
        speed: [B] float32 speed [m/s] (f_d = v·f_c/c).
        paths: each grid's propagation paths (geometric models with ``channel.paths``;
            zero-gain padding where a grid has fewer), or None.
        params: per-grid parameters a model draws itself (e.g. ``los``, ``asa``), name ->
            [B] float32, NaN for grids of models without that parameter.
    """

    h: torch.Tensor
    y: torch.Tensor
    no: torch.Tensor
    snr_db: torch.Tensor
    model: torch.Tensor
    delay_spread: torch.Tensor
    doppler: torch.Tensor
    speed: torch.Tensor
    paths: Paths | None = None
    params: dict[str, torch.Tensor] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.h.shape[0])

    def _map(self, fn) -> Batch:
        """A batch with ``fn`` applied to every per-grid tensor (and the paths)."""
        return Batch(**{name: fn(getattr(self, name)) for name in TENSOR_FIELDS},
                     paths=None if self.paths is None else self.paths.map(fn),
                     params={k: fn(v) for k, v in self.params.items()})

    def to(self, device: str | torch.device) -> Batch:
        return self._map(lambda t: t.to(device))

    def pin_memory(self) -> Batch:
        """The batch in page-locked host memory (a DataLoader's ``pin_memory``)."""
        return self._map(lambda t: t.pin_memory())

    def __getitem__(self, index) -> Batch:
        """Select samples along the batch axis (slice, index tensor or bool mask)."""
        return self._map(lambda t: t[index])

    @staticmethod
    def cat(batches: list[Batch]) -> Batch:
        """Concatenate along grids (paths padded to the longest; params NaN where absent)."""
        out = {name: torch.cat([getattr(b, name) for b in batches]) for name in TENSOR_FIELDS}
        with_paths = [b.paths for b in batches if b.paths is not None]
        if with_paths and len(with_paths) != len(batches):
            raise ValueError("Batch.cat: some batches carry paths and some do not")
        names = sorted({k for b in batches for k in b.params})
        params = {k: torch.cat([b.params.get(k, torch.full((len(b),), float("nan"),
                                                            device=b.h.device))
                                for b in batches]) for k in names}
        return Batch(**out, paths=Paths.cat(with_paths) if with_paths else None, params=params)
