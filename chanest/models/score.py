"""Score: a noise-conditional denoiser used for a few annealed score steps with pilot
data consistency, refining a classical estimate.

After M. Arvinte and J. I. Tamir, "MIMO channel estimation using score-based generative
models", IEEE Trans. Wireless Commun., 2023 (arXiv:2204.07122, 2022): a score network
s(h, σ) ≈ ∇ log p_σ(h) of the channel prior smoothed by Gaussian noise of level σ,
used in annealed Langevin dynamics whose step i adds α_i·[s(h, σ_i) + Aᴴ(y − A h) /
(σ_n² + σ_i²)] (+ noise) with α_i ∝ σ_i². Written from the paper's description.

What is computed (per RE, per-sample normalised units, real and imaginary parts alike):

* a denoiser D(h, σ²) = h + σ·r_θ(h, log σ², mask, SNR), r_θ a small residual CNN
  (Conv-BN-ReLU head, ``blocks`` residual blocks of ``channels``, Conv 3×3 → 2, zero at
  initialisation); by Tweedie's formula its score is s = (D − h) / (σ²/2) per real
  component, so the denoiser *is* the noise-conditional score network (the noise
  level enters as an input plane rather than through conditional normalisation);
* start: h⁰ = the base estimate, σ₀² = the base's error variance ε per RE on the
  ``lmmse-adaptive`` base, or no + τ on the ``linear`` base (no the normalised noise
  variance, τ = exp(a learned scalar), initially 0.1);
* K = ``steps`` steps with σ_k² = σ₀²·``final_ratio``^((k−1)/(K−1)) (σ₁² = σ₀²), each

      h ← h + η·[ (D(h, σ_k²) − h) + mask·σ_k²/(no + σ_k²)·(z − h) ]

  with η = ``step_size`` and z the LS estimates at the pilots, i.e. the paper's step
  with α_k = η·σ_k²/2 and A the pilot selection, *without* the injected noise: a
  deterministic few-step annealed refinement (an approximate posterior mean), not
  posterior sampling.

Training, simplified: chanest's trainer feeds models their input planes and scores the
output against the true channel, so the score network is not fitted by denoising score
matching on synthetic noise. Stage ``denoiser`` returns D(h⁰, σ₀²) alone and trains it
with the objective: a denoiser trained with squared error at the noise level σ₀ is the
denoising-score-matching fit at that level (Vincent 2011), with the base's own
estimation error (mixed SNRs give many levels) in place of synthetic Gaussian noise.
Stage ``all`` trains every parameter through the K unrolled steps (end to end).
Output [N, 2, S, F].
"""

from __future__ import annotations

import math

import torch
from torch import nn

from chanest.models.base import check_int
from chanest.models.blocks import ResidualBlock, conv_bn_relu
from chanest.models.corrected import Corrected, base_planes, mask_plane, noise_plane

__all__ = ["Score"]


def _check_fraction(name: str, value, upper_inclusive: bool = True) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value and \
        (value <= 1 if upper_inclusive else value < 1)
    if not ok:
        raise ValueError(f"{name} must be a number in (0, 1{']' if upper_inclusive else ')'}, "
                         f"got {value!r}")


class Score(Corrected):
    stages = ("denoiser",)

    def __init__(self, channels: int = 32, blocks: int = 4, steps: int = 3,
                 step_size: float = 1.0, final_ratio: float = 0.1, base: str = "linear",
                 base_options: dict | None = None):
        super().__init__()
        check_int("channels", channels, 1)
        check_int("blocks", blocks, 0)
        check_int("steps", steps, 1)
        _check_fraction("step_size", step_size)
        _check_fraction("final_ratio", final_ratio)
        self.set_base(base, base_options)
        self.steps, self.step_size, self.final_ratio = steps, float(step_size), float(final_ratio)
        # r_θ input: h (2), log σ² (1), mask (1), SNR plane (1)
        self.net = nn.Sequential(conv_bn_relu(5, channels),
                                 *[ResidualBlock(channels) for _ in range(blocks)])
        self.out = nn.Conv2d(channels, 2, 3, padding=1)
        nn.init.zeros_(self.out.weight)  # untrained: D(h) = h
        nn.init.zeros_(self.out.bias)
        self.log_tau = nn.Parameter(torch.tensor(math.log(0.1)))  # linear base: σ₀² = no + τ
        self.denoise_only = False

    def enter_stage(self, stage: str | None) -> None:
        """``denoiser``: the forward pass is one denoising of the base, D(h⁰, σ₀²); any
        other stage (``all``, None for a finished model) runs the K steps."""
        self.denoise_only = stage == "denoiser"

    def denoise(self, h: torch.Tensor, var: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """D(h, σ²) [N, 2, S, F] for h [N, 2, S, F], σ² [N, 1, S, F] and the input x."""
        planes = torch.cat([h, torch.log(var), mask_plane(x), x[:, -1:]], dim=1)
        return h + torch.sqrt(var) * self.out(self.net(planes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = base_planes(x)  # h⁰ [N, 2, S, F]
        no = noise_plane(x)  # [N, 1, S, F]
        var0 = self.base_variance(x)
        if var0 is None:
            var0 = no + torch.exp(self.log_tau)
        var0 = var0.clamp_min(1e-10)
        if self.denoise_only:
            return self.denoise(h, var0, x)
        mask, z = mask_plane(x), x[:, -4:-2]  # z = LS at the pilots (interpolation there)
        for k in range(self.steps):
            var = var0 * self.final_ratio ** (k / max(self.steps - 1, 1))
            data = mask * var / (no + var) * (z - h)
            h = h + self.step_size * (self.denoise(h, var, x) - h + data)
        return h
