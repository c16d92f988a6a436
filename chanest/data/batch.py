"""The unit of data that flows from the simulator and datasets to estimators."""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch

__all__ = ["Batch"]


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
    """

    h: torch.Tensor
    y: torch.Tensor
    no: torch.Tensor
    snr_db: torch.Tensor
    model: torch.Tensor
    delay_spread: torch.Tensor
    doppler: torch.Tensor
    speed: torch.Tensor

    def __len__(self) -> int:
        return int(self.h.shape[0])

    def to(self, device: str | torch.device) -> Batch:
        return Batch(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})

    def __getitem__(self, index) -> Batch:
        """Select samples along the batch axis (slice, index tensor or bool mask)."""
        return Batch(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @staticmethod
    def cat(batches: list[Batch]) -> Batch:
        return Batch(**{f.name: torch.cat([getattr(b, f.name) for b in batches])
                        for f in fields(Batch)})
