"""Export a trained network (``ckpt:`` or ``pretrained:``) to ONNX or TorchScript.

Two parts can be exported (real tensors only; complex values as a trailing re/im axis):

``full`` (models whose input is built by a fixed linear map: ``interp-*``, pilot images)
    inputs  ``z``  [B, L, P, 2] float32: LS estimates at the pilots, z = y · conj(x_p),
            in the row-major order of the pilot mask (unit-modulus pilots);
            ``no`` [B] float32: noise variance.
    outputs ``h_hat`` [B, L, S, F, 2] float32; ``err_var`` [B, L, S, F] float32.
    The normalisation, interpolation and error model of
    :class:`~chanest.estimators.neural.NeuralEstimator` are inside the graph.

``network`` (any model; the only part for models on a classical base estimate such as
``lmmse-adaptive``, whose per-grid prior selection stays in chanest)
    input ``x`` [N, C, S, F] float32: the normalised input planes of
    :class:`~chanest.estimators.neural.NeuralFrontEnd`;
    output ``h`` [N, 2, S, F] (and ``log_err_var`` [N, 1, S, F] with an error head).

A joint-antenna model (:class:`chanest.models.Model` ``antennas`` = A) takes whole grids:
``z`` [B, A, P, 2] (the links axis fixed to A, one normalisation scale per grid), ``x``
[B·A, C, S, F] with each grid's A links consecutive.

A JSON sidecar ``OUT.json`` records the part, the tensor names and shapes, the pilot
mask and the model specification. The batch axis is dynamic. A network trained on one
user of multi-user data (``user`` in the sidecar, :mod:`chanest.grid.users`) takes that
user's LS values after despreading (:class:`chanest.grid.despread.Despreader`) as ``z``, and
their noise variance ``no·noise_gain`` as ``no``.
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from chanest.estimators.neural import SNR_SCALE
from chanest.fileio import atomic_write
from chanest.metrics import nearest_index, snr_db
from chanest.schema import ConfigError

__all__ = ["FORMATS", "FullGraph", "export_model", "exportable_parts"]

FORMATS = ("onnx", "torchscript")


class FullGraph(nn.Module):
    """(z [B, L, P, 2], no [B]) → (h_hat [B, L, S, F, 2], err_var [B, L, S, F]) in real
    arithmetic; equals ``NeuralEstimator.estimate`` for unit-modulus pilots."""

    def __init__(self, est):
        super().__init__()
        front = est.front
        self.model, self.kind = est.model, front.kind
        self.S, self.F = front.S, front.F
        self.joint = front.antennas is not None  # one scale per grid
        if front.kind == "pilot-image":
            self.pilot_shape = front.pilot_shape
        else:
            self.register_buffer("w_re", front.interp.real.float().clone())  # [P, S·F]
            self.register_buffer("w_im", front.interp.imag.float().clone())
        self.register_buffer("mask", front.mask_plane.clone())  # [S, F]
        self.with_planes = front.kind.endswith("+mask+snr")
        self.err_head = getattr(est.model, "has_err_head", False)
        if not self.err_head:
            self.register_buffer("map_snr", est.err_map[0].clone())  # [K]
            self.register_buffer("map_mse", est.err_map[1].clone())  # [K, S, F]

    def forward(self, z: torch.Tensor, no: torch.Tensor):
        B, L, P, _ = z.shape
        if self.joint:
            scale = torch.sqrt((z * z).sum(-1).mean((1, 2))).clamp_min(1e-6)[:, None]
            scale = scale.expand(B, L)  # [B, L]
        else:
            scale = torch.sqrt((z * z).sum(-1).mean(-1)).clamp_min(1e-6)  # [B, L]
        zn = (z / scale[..., None, None]).reshape(B * L, P, 2)
        if self.kind == "pilot-image":
            x = zn.permute(0, 2, 1).reshape(B * L, 2, *self.pilot_shape)
        else:
            re = zn[..., 0] @ self.w_re - zn[..., 1] @ self.w_im  # [N, S·F]
            im = zn[..., 0] @ self.w_im + zn[..., 1] @ self.w_re
            x = torch.stack([re, im], 1).reshape(B * L, 2, self.S, self.F)
            if self.with_planes:
                no_n = (no[:, None] / scale**2).reshape(B * L)
                snr = snr_db(no_n) / SNR_SCALE
                planes = torch.stack([self.mask.expand(B * L, -1, -1),
                                      snr[:, None, None].expand(-1, self.S, self.F)], 1)
                x = torch.cat([x, planes], 1)
        out = self.model(x)
        h, logvar = out if isinstance(out, tuple) else (out, None)
        s = scale[..., None, None]  # [B, L, 1, 1]
        h_hat = h.reshape(B, L, 2, self.S, self.F).permute(0, 1, 3, 4, 2) * s[..., None]
        if logvar is not None:
            err = torch.exp(logvar).reshape(B, L, self.S, self.F) * s**2
        else:
            err = self.map_mse[nearest_index(snr_db(no), self.map_snr)][:, None] * s**2
        return h_hat, err


def exportable_parts(est) -> tuple[str, ...]:
    """Parts of a neural estimator that can be exported."""
    return ("network",) if est.front.base is not None else ("full", "network")


def _example(est, part: str, batch: int = 2):
    """Example inputs, their names, output names and dynamic axes {input: {axis: name}}.
    Sizes are above 1 so that tracing does not specialise them; a joint-antenna model
    takes exactly its antenna count of links."""
    g = torch.Generator().manual_seed(0)
    links = est.front.antennas or 2
    if part == "network":
        x, _ = est.front.inputs(torch.randn(batch, links, int(est.ctx.mask.sum()), generator=g,
                                            dtype=torch.complex64), torch.full((batch,), 0.1))
        outs = ["h", "log_err_var"] if getattr(est.model, "has_err_head", False) else ["h"]
        return (x,), ["x"], outs, ({0: "batch"},)
    z = torch.randn(batch, links, int(est.ctx.mask.sum()), 2, generator=g)
    z_axes = {0: "batch"} if est.front.antennas else {0: "batch", 1: "links"}
    return ((z, torch.full((batch,), 0.1)), ["z", "no"], ["h_hat", "err_var"],
            (z_axes, {0: "batch"}))


def export_model(est, out: str | Path, fmt: str, part: str = "auto") -> dict:
    """Write ``out`` (and ``out.json``) for a NeuralEstimator; returns the sidecar."""
    if fmt not in FORMATS:
        raise ConfigError(f"format: must be one of {', '.join(FORMATS)}, got {fmt!r}")
    parts = exportable_parts(est)
    part = parts[0] if part == "auto" else part
    if part not in parts:
        raise ConfigError(f"part: {est.name} can be exported as {' or '.join(parts)} only "
                          "(its input planes come from a classical base estimator)")
    module = (FullGraph(est) if part == "full" else est.model).eval()
    args, names_in, names_out, axes = _example(est, part)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad(), atomic_write(out, "path") as tmp:
        if fmt == "torchscript":
            torch.jit.save(torch.jit.trace(module, args, check_trace=False), str(tmp))
        else:
            _onnx(module, args, names_in, names_out, axes, tmp)
    side = {"format": fmt, "part": part, "estimator": est.name, "inputs": names_in,
            "outputs": names_out,
            "shapes": {n: [ax.get(i, size) for i, size in enumerate(a.shape)]
                       for n, a, ax in zip(names_in, args, axes)},
            "mask": np.asarray(est.ctx.mask).astype(int).tolist(),
            "model": getattr(est, "meta", {}).get("model"), "input_kind": est.front.kind,
            "user": ((getattr(est, "meta", {}).get("experiment") or {}).get("data")
                     or {}).get("user")}
    with atomic_write(out.with_name(out.name + ".json")) as f:
        f.write(json.dumps(side, indent=1) + "\n")
    return side


def _onnx(module, args, names_in, names_out, axes, path: Path) -> None:
    try:
        import onnx  # noqa: F401 - only checks that it is installed
        import onnxscript  # noqa: F401 - only checks that it is installed
    except ImportError:
        raise ConfigError("format: onnx export needs the onnx and onnxscript packages "
                          "(pip install 'chanest[export]')") from None
    dims = {name: torch.export.Dim(name, min=1) for ax in axes for name in ax.values()}
    shapes = tuple({i: dims[name] for i, name in ax.items()} for ax in axes)
    quiet = logging.getLogger("torch.onnx")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # optional-operator notices (e.g. torchvision)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            warnings.filterwarnings("ignore", message="# The axis name")
            torch.onnx.export(module, args, str(path), input_names=names_in,
                              output_names=names_out, dynamic_shapes=shapes, dynamo=True,
                              external_data=False, verbose=False)
    finally:
        quiet.setLevel(level)
