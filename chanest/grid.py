"""Resource-grid geometry and pilot patterns.

Pilot patterns are pure functions from a pilot config and a grid to a boolean
mask ``[S, F]`` (OFDM symbol, subcarrier). Pilot observations are ordered
row-major over this mask (symbol first, then subcarrier), i.e. the order of
``np.flatnonzero(mask)``.

ChannelNet lattices on the 72×14 grid (symbol indices; first pilot subcarrier
per symbol; subcarrier spacing between pilots):

=============  ===============  ============  =======
pattern        symbols          first sc      spacing
=============  ===============  ============  =======
channelnet-48  0, 4, 7, 11      1, 4, 1, 4    6
channelnet-36  0, 4, 7, 11      1, 5, 1, 5    8
channelnet-24  0, 4, 7, 11      1, 7, 1, 7    12
channelnet-16  4, 9             1, 4          9
channelnet-8   4, 9             1, 10         18
=============  ===============  ============  =======

The 48- and 16-pilot layouts are those of Soltani et al. (2019); 36, 24 and 8
thin the same symbols with a half-spacing stagger between pilot symbols.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from chanest.config import ConfigError, GridConfig

__all__ = [
    "CHANNELNET_LATTICES",
    "PILOT_PATTERNS",
    "pilot_mask",
    "pilot_values",
    "pilot_indices",
    "subcarrier_frequencies",
    "symbol_times",
    "to_sionna_resource_grid",
]

# name -> (symbols, first subcarrier per symbol, spacing)
CHANNELNET_LATTICES: dict[str, tuple[list[int], list[int], int]] = {
    "channelnet-48": ([0, 4, 7, 11], [1, 4, 1, 4], 6),
    "channelnet-36": ([0, 4, 7, 11], [1, 5, 1, 5], 8),
    "channelnet-24": ([0, 4, 7, 11], [1, 7, 1, 7], 12),
    "channelnet-16": ([4, 9], [1, 4], 9),
    "channelnet-8": ([4, 9], [1, 10], 18),
}

PILOT_PATTERNS: dict[str, str] = {
    **{name: "ChannelNet lattice on the 72x14 grid" for name in CHANNELNET_LATTICES},
    "block": "pilots on every subcarrier of `symbols`",
    "comb": "every `spacing`-th subcarrier from `offset`, on all symbols",
    "lattice": "every `spacing`-th subcarrier on `symbols`, per-symbol `offsets` (cycled)",
    "diamond": "lattice whose offsets alternate `offset` and `offset + spacing/2`",
    "kronecker": "`symbols` x (every `spacing`-th subcarrier from `offset`)",
    "dmrs": "5G NR PUSCH DM-RS (config_type, additional_position, length, type_a_position)",
    "file": "custom [S, F] 0/1 mask from a .npy, .csv or .txt file at `path`",
}


def _check_symbols(symbols: list[int], grid: GridConfig) -> None:
    bad = [s for s in symbols if s >= grid.num_symbols]
    if bad:
        raise ConfigError(f"pilots.symbols: indices must be < num_symbols "
                          f"({grid.num_symbols}), got {bad}")
    if len(set(symbols)) != len(symbols):
        raise ConfigError(f"pilots.symbols: indices must be distinct, got {symbols}")


def _lattice(grid: GridConfig, symbols: list[int], offsets: list[int],
             spacing: int) -> np.ndarray:
    mask = np.zeros((grid.num_symbols, grid.num_subcarriers), dtype=bool)  # [S, F]
    for i, sym in enumerate(symbols):
        offset = offsets[i % len(offsets)]
        if offset >= grid.num_subcarriers:
            raise ConfigError(f"pilots.offset: must be < num_subcarriers "
                              f"({grid.num_subcarriers}), got {offset}")
        mask[sym, offset::spacing] = True
    return mask


def _dmrs_mask(cfg, grid: GridConfig) -> np.ndarray:
    from sionna.phy.nr import PUSCHConfig, PUSCHPilotPattern

    if grid.num_symbols != 14 or grid.num_subcarriers % 12:
        raise ConfigError("pilots.pattern: dmrs needs 14 symbols and a multiple of 12 "
                          f"subcarriers, got {grid.num_symbols}x{grid.num_subcarriers}")
    pusch = PUSCHConfig()
    pusch.carrier.n_size_grid = grid.num_subcarriers // 12
    pusch.carrier.subcarrier_spacing = grid.subcarrier_spacing / 1e3
    pusch.dmrs.config_type = cfg.config_type
    pusch.dmrs.length = cfg.length
    pusch.dmrs.type_a_position = cfg.type_a_position
    try:
        pusch.dmrs.additional_position = cfg.additional_position
        pusch.check_config()
        pattern = PUSCHPilotPattern([pusch])
    except (ValueError, AssertionError) as err:
        raise ConfigError(f"pilots: invalid DM-RS configuration ({err})") from None
    # Sionna's mask [num_tx, num_streams, S, F] also marks the REs of the other CDM
    # group (kept free of data, zero pilot); only REs with a nonzero pilot are pilots.
    # Its pilots follow the row-major order of the mask.
    mask = np.asarray(pattern.mask[0, 0].cpu()).astype(bool)
    nonzero = np.abs(np.asarray(pattern.pilots[0, 0].cpu())) > 0
    out = np.zeros(mask.size, dtype=bool)
    out[np.flatnonzero(mask)[nonzero]] = True
    return out.reshape(mask.shape)


def _file_mask(cfg, grid: GridConfig) -> np.ndarray:
    path = Path(cfg.path)
    if not path.is_file():
        raise ConfigError(f"pilots.path: file not found: {path}")
    try:
        if path.suffix == ".npy":
            arr = np.load(path, allow_pickle=False)
        elif path.suffix in (".csv", ".txt"):
            arr = np.loadtxt(path, delimiter="," if path.suffix == ".csv" else None, ndmin=2)
        else:
            raise ConfigError(f"pilots.path: expected a .npy, .csv or .txt file, got {path.name}")
    except (ValueError, OSError) as err:
        raise ConfigError(f"pilots.path: cannot read mask from {path.name} ({err})") from None
    expected = (grid.num_symbols, grid.num_subcarriers)
    if arr.shape != expected:
        raise ConfigError(f"pilots.path: mask must have shape [S, F] = {list(expected)}, "
                          f"got {list(arr.shape)}")
    if not np.all(np.isin(arr, (0, 1))):
        raise ConfigError("pilots.path: mask entries must be 0 or 1")
    return arr.astype(bool)


def pilot_mask(cfg, grid: GridConfig) -> np.ndarray:
    """Boolean pilot mask ``[S, F]`` for a pilot config on a grid (ConfigError if invalid)."""
    pattern = cfg.pattern
    if pattern in CHANNELNET_LATTICES:
        if (grid.num_symbols, grid.num_subcarriers) != (14, 72):
            raise ConfigError(f"pilots.pattern: {pattern} needs the 72x14 grid, got "
                              f"{grid.num_subcarriers}x{grid.num_symbols}")
        symbols, offsets, spacing = CHANNELNET_LATTICES[pattern]
        mask = _lattice(grid, symbols, offsets, spacing)
    elif pattern == "block":
        _check_symbols(cfg.symbols, grid)
        mask = _lattice(grid, cfg.symbols, [0], 1)
    elif pattern == "comb":
        mask = _lattice(grid, list(range(grid.num_symbols)), [cfg.offset], cfg.spacing)
    elif pattern == "lattice":
        _check_symbols(cfg.symbols, grid)
        mask = _lattice(grid, cfg.symbols, cfg.offsets, cfg.spacing)
    elif pattern == "diamond":
        _check_symbols(cfg.symbols, grid)
        mask = _lattice(grid, cfg.symbols, [cfg.offset, cfg.offset + cfg.spacing // 2],
                        cfg.spacing)
    elif pattern == "kronecker":
        _check_symbols(cfg.symbols, grid)
        mask = _lattice(grid, cfg.symbols, [cfg.offset], cfg.spacing)
    elif pattern == "dmrs":
        mask = _dmrs_mask(cfg, grid)
    elif pattern == "file":
        mask = _file_mask(cfg, grid)
    else:  # pragma: no cover - the config union admits only the patterns above
        raise ConfigError(f"pilots.pattern: unknown pattern {pattern!r}")
    if not mask.any():
        raise ConfigError("pilots: the pattern places no pilot on this grid")
    return mask


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
    """A ``sionna.phy.ofdm.ResourceGrid`` (SISO, no guards) carrying this pilot mask.

    The cyclic-prefix length is rounded to whole samples of an FFT of size F,
    so the symbol duration may differ slightly from ``grid.symbol_duration``;
    it is used only by Sionna's estimators, which do not depend on it.
    """
    import torch
    from sionna.phy.ofdm import PilotPattern, ResourceGrid

    from chanest.config import CP_RATIOS

    mask_t = torch.as_tensor(mask[None, None], dtype=torch.bool)  # [1, 1, S, F]
    pilots_t = torch.as_tensor(pilots[None, None], dtype=torch.complex64)  # [1, 1, P]
    pattern = PilotPattern(mask_t, pilots_t)
    return ResourceGrid(
        num_ofdm_symbols=grid.num_symbols,
        fft_size=grid.num_subcarriers,
        subcarrier_spacing=grid.subcarrier_spacing,
        cyclic_prefix_length=int(round(CP_RATIOS[grid.cyclic_prefix] * grid.num_subcarriers)),
        pilot_pattern=pattern,
    )
