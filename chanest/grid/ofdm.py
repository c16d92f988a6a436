"""The OFDM resource grid: its config and presets, geometry, pilot symbols.

:class:`GridConfig` is the grid part of a scenario; a ``preset`` fills the fields
not given. Pilot *patterns* (where the pilots sit) live in :mod:`chanest.grid.pilots`;
:func:`pilot_mask` is re-exported here. Masks are ``[S, F]`` (OFDM symbol,
subcarrier), pilots are ordered row-major over the mask.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from chanest.grid.pilots import CHANNELNET_LATTICES, pilot_mask
from chanest.schema import Strict

__all__ = [
    "GRID_PRESETS",
    "CP_RATIOS",
    "GridConfig",
    "CHANNELNET_LATTICES",
    "pilot_mask",
    "pilot_values",
    "pilot_indices",
    "subcarrier_frequencies",
    "symbol_times",
    "to_sionna_resource_grid",
]

GRID_PRESETS: dict[str, dict[str, float]] = {
    "lte-72x14": dict(num_subcarriers=72, num_symbols=14, subcarrier_spacing=15e3,
                      carrier_frequency=2.6e9),
    "nr-612x14": dict(num_subcarriers=612, num_symbols=14, subcarrier_spacing=30e3,
                      carrier_frequency=3.5e9),
    "nr-624x14": dict(num_subcarriers=624, num_symbols=14, subcarrier_spacing=30e3,
                      carrier_frequency=3.5e9),
}

# Cyclic-prefix length as a fraction of the useful symbol (NR: 144/2048, 512/2048).
CP_RATIOS = {"normal": 144 / 2048, "extended": 512 / 2048}


class GridConfig(Strict):
    """OFDM resource grid. A ``preset`` fills the fields not given explicitly."""

    preset: Literal["lte-72x14", "nr-612x14", "nr-624x14"] | None = "lte-72x14"
    num_subcarriers: int = Field(ge=1, le=8192)
    num_symbols: int = Field(ge=1, le=1024)
    subcarrier_spacing: float = Field(gt=0, le=1.92e6, description="Hz")
    cyclic_prefix: Literal["normal", "extended"] = "normal"
    carrier_frequency: float = Field(gt=0, le=3e11, description="Hz")

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        preset = data.get("preset", "lte-72x14")
        if preset in GRID_PRESETS:
            return {**GRID_PRESETS[preset], **data}
        return data

    @property
    def cp_duration(self) -> float:
        """Cyclic-prefix duration [s]."""
        return CP_RATIOS[self.cyclic_prefix] / self.subcarrier_spacing

    @property
    def symbol_duration(self) -> float:
        """OFDM symbol duration including the cyclic prefix [s]."""
        return (1.0 + CP_RATIOS[self.cyclic_prefix]) / self.subcarrier_spacing


def pilot_indices(mask: np.ndarray) -> np.ndarray:
    """[P] flat row-major indices of the pilot REs of a mask [S, F]."""
    return np.flatnonzero(mask)


def pilot_values(kind: str, num_pilots: int, seed: int) -> np.ndarray:
    """[P] complex64 unit-modulus pilot symbols: all ones, or QPSK drawn from ``seed``."""
    if kind == "ones":
        return np.ones(num_pilots, dtype=np.complex64)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x50494C,)))
    bits = rng.integers(0, 4, size=num_pilots)
    return (np.exp(1j * (np.pi / 4 + np.pi / 2 * bits))).astype(np.complex64)


def subcarrier_frequencies(grid: GridConfig) -> np.ndarray:
    """[F] subcarrier frequencies relative to the carrier [Hz] (Sionna's convention)."""
    n = grid.num_subcarriers
    start = -(n // 2) if n % 2 == 0 else -((n - 1) // 2)
    return (np.arange(n) + start) * grid.subcarrier_spacing


def symbol_times(grid: GridConfig) -> np.ndarray:
    """[S] OFDM symbol start times [s]."""
    return np.arange(grid.num_symbols) * grid.symbol_duration


def to_sionna_resource_grid(grid: GridConfig, mask: np.ndarray, pilots: np.ndarray):
    """A ``sionna.phy.ofdm.ResourceGrid`` (one transmitter, no guards) carrying this pilot
    mask: one stream with ``pilots`` [P], or U streams (users) sharing the mask with
    ``pilots`` [U, P] (0 where a user is silent).

    The cyclic-prefix length is rounded to whole samples of an FFT of size F,
    so the symbol duration may differ slightly from ``grid.symbol_duration``;
    it is used only by Sionna's estimators, which do not depend on it.
    """
    import torch
    from sionna.phy.ofdm import PilotPattern, ResourceGrid

    P = int(np.sum(mask))
    if np.asarray(pilots).size % max(P, 1):
        raise ValueError(f"pilots: {np.asarray(pilots).shape} symbols for {P} pilot REs")
    pilots = np.asarray(pilots).reshape(-1, P)  # [U, P]
    mask_t = torch.as_tensor(np.repeat(mask[None, None], len(pilots), 1),
                             dtype=torch.bool)  # [1, U, S, F]
    pilots_t = torch.as_tensor(pilots[None], dtype=torch.complex64)  # [1, U, P]
    pattern = PilotPattern(mask_t, pilots_t)
    return ResourceGrid(
        num_ofdm_symbols=grid.num_symbols,
        fft_size=grid.num_subcarriers,
        subcarrier_spacing=grid.subcarrier_spacing,
        cyclic_prefix_length=int(round(CP_RATIOS[grid.cyclic_prefix] * grid.num_subcarriers)),
        num_streams_per_tx=len(pilots),
        pilot_pattern=pattern,
    )
