"""Wraps a trained :class:`~chanest.models.base.Model` as an :class:`Estimator` (pre- and
post-processing).

The same :class:`NeuralFrontEnd` builds model inputs for training and
inference, so the two cannot drift apart:

1. LS at the pilots, z = y / x_p                                  [B, L, P]
2. per-(sample, link) normalisation by s = RMS(z) (so the network sees unit-
   power inputs whatever the SNR and fading level); no_n = no / s². A joint-antenna
   model (``model.antennas`` = A, see :class:`chanest.models.Model`) gets one s per
   grid, the RMS over all its links, so the antennas keep their relative levels, and
   data with L ≠ A links are refused (:func:`check_antennas`)
3. model input by ``model.input_kind`` (see :mod:`chanest.models`), with the
   B·L links folded into the batch axis N = B·L (grid-major: a grid's links are
   consecutive)
4. output [N, 2, S, F] → complex, × s                              [B, L, S, F]

``err_var`` comes from the model's error head when it has one (exp of the
predicted log variance × s²), otherwise from a per-SNR map of the measured
per-RE error on the validation set stored with the checkpoint (normalised
units × s²), looked up at the nearest recorded SNR.
"""

from __future__ import annotations

import numpy as np
import torch

from chanest.estimators.base import Estimate, Estimator, GridContext, Observation
from chanest.estimators.catalog import build_registered
from chanest.estimators.linear import check_unit_pilots
from chanest.estimators.ls import interpolation_matrix
from chanest.metrics import nearest_index, snr_db
from chanest.models.base import Model
from chanest.models.corrected import SNR_PLANE_DB
from chanest.models.reesnet import pilot_image_shape
from chanest.schema import ConfigError

__all__ = ["NeuralFrontEnd", "NeuralEstimator", "pilot_image_shape", "to_complex",
           "to_channels", "check_antennas"]

SNR_SCALE = SNR_PLANE_DB  # SNR plane = SNR_dB / 30


def to_channels(h: torch.Tensor) -> torch.Tensor:
    """Complex [..., S, F] → real [..., 2, S, F] (re, im)."""
    return torch.stack([h.real, h.imag], dim=-3)


def to_complex(x: torch.Tensor) -> torch.Tensor:
    """Real [..., 2, S, F] → complex [..., S, F]."""
    return torch.complex(x[..., 0, :, :].float(), x[..., 1, :, :].float())


def check_antennas(antennas: int | None, links: int, label: str) -> None:
    """ConfigError ``LABEL: a network trained for A antennas; the data has L`` unless a
    joint-antenna model (``antennas`` = A; None: per-link, anything fits) gets L = A links."""
    if antennas is not None and links != antennas:
        raise ConfigError(f"{label}: a network trained for {antennas} antennas; the data "
                          f"has {links}")


class NeuralFrontEnd:
    """Observation → normalised model input, and model output → complex grid.

    ``antennas``: the antenna count of a joint-antenna model (one scale per grid, and
    data with another link count are refused, naming ``label``); None for per-link models.
    """

    def __init__(self, ctx: GridContext, input_kind: str, device: str = "cpu",
                 base_options: dict | None = None, antennas: int | None = None,
                 label: str = "model"):
        check_unit_pilots(ctx)
        self.ctx, self.kind, self.device = ctx, input_kind, device
        self.antennas, self.label = antennas, label
        mask = ctx.mask
        self.S, self.F = mask.shape
        self.inv_pilots = torch.as_tensor(np.conj(ctx.pilots), dtype=torch.complex64,
                                          device=device)  # [P] 1/x_p for |x_p| = 1
        self.base = None
        if input_kind.startswith("base:"):
            self.base = build_registered(input_kind.partition(":")[2], ctx, device,
                                        **(base_options or {}))
        if input_kind == "pilot-image":
            self.pilot_shape = pilot_image_shape(mask)
        else:
            method = "rbf" if input_kind.startswith("interp-rbf") else "linear"
            w = interpolation_matrix(mask, method)  # [S·F, P]
            self.interp = torch.as_tensor(w.T, dtype=torch.complex64, device=device)  # [P, S·F]
        self.mask_plane = torch.as_tensor(mask, dtype=torch.float32, device=device)

    def inputs(self, y: torch.Tensor, no: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Model input and scale.

        Args:
            y: [B, L, P] received pilots.  no: [B] noise variance.

        Returns:
            x: [B·L, C, S, F] (or [B·L, 2, Sp, Fp] for pilot images), float32.
            scale: [B, L] float32 normalisation s.
        """
        B, L, P = y.shape
        z = y * self.inv_pilots  # [B, L, P]
        scale = self._scale(z)  # [B, L]
        z = (z / scale[..., None]).reshape(B * L, P)  # [N, P]
        if self.kind == "pilot-image":
            return to_channels(z.reshape(B * L, *self.pilot_shape)), scale
        grid = (z @ self.interp).reshape(B * L, self.S, self.F)  # [N, S, F]
        x = to_channels(grid)  # [N, 2, S, F]
        if self.kind.endswith("+mask+snr") or self.base is not None:
            no_n = (no[:, None] / scale**2).reshape(B * L)  # [N]
            snr = snr_db(no_n) / SNR_SCALE
            planes = torch.stack([self.mask_plane.expand(B * L, -1, -1),
                                  snr[:, None, None].expand(-1, self.S, self.F)], dim=1)
            x = torch.cat([x, planes], dim=1)  # [N, 4, S, F]
        if self.base is not None:
            x = torch.cat([self._base_planes(y, no, scale), x], dim=1)  # [N, 7, S, F]
        return x, scale

    def _scale(self, z: torch.Tensor) -> torch.Tensor:
        """[B, L] normalisation: RMS of each link's LS values z [B, L, P], or of the whole
        grid's for a joint-antenna model."""
        if self.antennas is None:
            return torch.sqrt((z.abs() ** 2).mean(dim=-1)).clamp_min(1e-6)
        check_antennas(self.antennas, z.shape[1], self.label)
        rms = torch.sqrt((z.abs() ** 2).mean(dim=(1, 2))).clamp_min(1e-6)  # [B]
        return rms[:, None].expand(-1, z.shape[1])

    def _base_planes(self, y: torch.Tensor, no: torch.Tensor,
                     scale: torch.Tensor) -> torch.Tensor:
        """[N, 3, S, F]: re, im of the base estimate and log of its error variance
        (normalised by s and s²)."""
        B, L, _ = y.shape
        est = self.base.estimate(Observation(y=y, no=no))  # [B, L, S, F]
        h = (est.h_hat / scale[..., None, None]).reshape(B * L, self.S, self.F)
        err = (est.err_var / (scale**2)[..., None, None]).reshape(B * L, 1, self.S, self.F)
        return torch.cat([to_channels(h), torch.log(err.clamp_min(1e-12))], dim=1)

    def base_error(self, x: torch.Tensor) -> torch.Tensor | None:
        """The base's normalised error variance [N, 1, S, F] from a model input (or None)."""
        return None if self.base is None else torch.exp(x[:, 2:3])

    def target(self, h: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        """True channel [B, L, S, F] → normalised model target [B·L, 2, S, F]."""
        B, L = h.shape[:2]
        return to_channels((h / scale[..., None, None]).reshape(B * L, self.S, self.F))

    def outputs(self, out: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        """Model output [B·L, 2, S, F] → channel estimate [B, L, S, F] complex64."""
        B, L = scale.shape
        return to_complex(out).reshape(B, L, self.S, self.F) * scale[..., None, None]


class NeuralEstimator(Estimator):
    """A trained model behind the estimator contract.

    Args:
        ctx: grid context the model was trained for (mask and pilots must match).
        model: the network (its ``input_kind`` selects the front end).
        err_map: optional (snr_db [K], mse [K, S, F]) measured per-RE error in
            normalised units, used when the model has no error head.
    """

    def __init__(self, ctx: GridContext, model: Model, device: str = "cpu",
                 err_map: tuple[np.ndarray, np.ndarray] | None = None, name: str = "neural"):
        super().__init__(ctx, device)
        self.name = name
        self.model = model.to(device).eval()
        self.front = NeuralFrontEnd(ctx, model.input_kind, device,
                                    getattr(model, "base_options", None),
                                    getattr(model, "antennas", None), label=name)
        self.err_map = None
        if err_map is None and not getattr(model, "has_err_head", False):
            raise ValueError("a neural estimator needs an error head or a measured error map")
        if err_map is not None:
            snrs, mse = err_map
            self.err_map = (torch.as_tensor(snrs, dtype=torch.float32, device=device),
                            torch.as_tensor(mse, dtype=torch.float32, device=device))

    def bytes_per_grid(self) -> int:
        """The model's activations (its ``activation_bytes``), plus the base estimate."""
        activations = self.model.activation_bytes(*self.ctx.mask.shape)
        base = self.front.base.bytes_per_grid() if self.front.base is not None else 0
        return activations + base + super().bytes_per_grid()

    @torch.no_grad()
    def estimate(self, obs: Observation) -> Estimate:
        x, scale = self.front.inputs(obs.y.to(self.device), obs.no.to(self.device))
        out = self.model(x)
        logvar = None
        if isinstance(out, tuple):
            out, logvar = out
        h_hat = self.front.outputs(out, scale)  # [B, L, S, F]
        B, L, S, F = h_hat.shape
        s2 = (scale**2)[..., None, None]  # [B, L, 1, 1]
        if logvar is not None:
            err = torch.exp(logvar.float()).reshape(B, L, S, F) * s2
        else:
            snrs, mse = self.err_map
            nearest = nearest_index(snr_db(obs.no.to(self.device)), snrs)  # [B]
            err = mse[nearest][:, None] * s2  # [B, L, S, F]
        return Estimate(h_hat=h_hat.to(torch.complex64), err_var=err.float())
