"""Pilot patterns: one config class per pattern, each building its own mask.

A pattern's :meth:`mask` maps a grid to a boolean mask ``[S, F]`` (OFDM symbol,
subcarrier); :func:`pilot_mask` adds the checks every pattern shares. :data:`PATTERNS` is
the table of pattern classes; ``pilots`` is parsed by its ``pattern`` tag into one of them
(the table is read when a config is parsed). To add a pattern, write a class (a
:class:`PilotBase` with a ``pattern: Literal["name"]`` tag, a ``description`` and a
:meth:`mask`) and add it to :data:`PATTERNS`; ``info`` lists it from there. Pilot
observations are ordered row-major over the mask (symbol first, then subcarrier),
the order of ``np.flatnonzero(mask)``.

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
The grid is any object with ``num_symbols``, ``num_subcarriers`` and
``subcarrier_spacing`` (a :class:`chanest.grid.ofdm.GridConfig`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar, Literal

import numpy as np
from pydantic import Field

from chanest.schema import ConfigError, Strict, tagged_union, tags_of

__all__ = ["CHANNELNET_LATTICES", "PATTERNS", "PilotBase", "PilotConfig", "pilot_patterns",
           "ChannelNetPilots", "BlockPilots", "CombPilots", "LatticePilots", "DiamondPilots",
           "KroneckerPilots", "DmrsPilots", "FilePilots", "pilot_mask"]

# name -> (symbols, first subcarrier per symbol, spacing)
CHANNELNET_LATTICES: dict[str, tuple[list[int], list[int], int]] = {
    "channelnet-48": ([0, 4, 7, 11], [1, 4, 1, 4], 6),
    "channelnet-36": ([0, 4, 7, 11], [1, 5, 1, 5], 8),
    "channelnet-24": ([0, 4, 7, 11], [1, 7, 1, 7], 12),
    "channelnet-16": ([4, 9], [1, 4], 9),
    "channelnet-8": ([4, 9], [1, 10], 18),
}

SymbolList = Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)]


def _check_symbols(symbols: list[int], grid) -> None:
    bad = [s for s in symbols if s >= grid.num_symbols]
    if bad:
        raise ConfigError(f"pilots.symbols: indices must be < num_symbols "
                          f"({grid.num_symbols}), got {bad}")
    if len(set(symbols)) != len(symbols):
        raise ConfigError(f"pilots.symbols: indices must be distinct, got {symbols}")


def _lattice(grid, symbols: list[int], offsets: list[int], spacing: int) -> np.ndarray:
    """[S, F] mask: every ``spacing``-th subcarrier on ``symbols``, offsets cycled."""
    mask = np.zeros((grid.num_symbols, grid.num_subcarriers), dtype=bool)  # [S, F]
    for i, sym in enumerate(symbols):
        offset = offsets[i % len(offsets)]
        if offset >= grid.num_subcarriers:
            raise ConfigError(f"pilots.offset: must be < num_subcarriers "
                              f"({grid.num_subcarriers}), got {offset}")
        mask[sym, offset::spacing] = True
    return mask


class PilotBase(Strict):
    """``values``: pilot symbols, QPSK drawn from ``sequence_seed`` (a property of the
    system, independent of the data seed) or all ones."""

    #: one line for ``info``
    description: ClassVar[str] = ""
    values: Literal["qpsk", "ones"] = "qpsk"
    sequence_seed: int = Field(default=0, ge=0, lt=2**63)

    def mask(self, grid) -> np.ndarray:  # pragma: no cover - every pattern overrides it
        """[S, F] bool pilot mask on ``grid`` (ConfigError if the pattern does not fit)."""
        raise NotImplementedError


class ChannelNetPilots(PilotBase):
    description: ClassVar[str] = "ChannelNet lattice on the 72x14 grid"
    pattern: Literal["channelnet-48", "channelnet-36", "channelnet-24",
                     "channelnet-16", "channelnet-8"] = "channelnet-48"

    def mask(self, grid) -> np.ndarray:
        if (grid.num_symbols, grid.num_subcarriers) != (14, 72):
            raise ConfigError(f"pilots.pattern: {self.pattern} needs the 72x14 grid, got "
                              f"{grid.num_subcarriers}x{grid.num_symbols}")
        symbols, offsets, spacing = CHANNELNET_LATTICES[self.pattern]
        return _lattice(grid, symbols, offsets, spacing)


class BlockPilots(PilotBase):
    description: ClassVar[str] = "pilots on every subcarrier of `symbols`"
    pattern: Literal["block"]
    symbols: SymbolList = [2, 11]

    def mask(self, grid) -> np.ndarray:
        _check_symbols(self.symbols, grid)
        return _lattice(grid, self.symbols, [0], 1)


class CombPilots(PilotBase):
    description: ClassVar[str] = "every `spacing`-th subcarrier from `offset`, on all symbols"
    pattern: Literal["comb"]
    spacing: int = Field(default=4, ge=1)
    offset: int = Field(default=0, ge=0)

    def mask(self, grid) -> np.ndarray:
        return _lattice(grid, list(range(grid.num_symbols)), [self.offset], self.spacing)


class LatticePilots(PilotBase):
    description: ClassVar[str] = (
        "every `spacing`-th subcarrier on `symbols`, per-symbol `offsets` (cycled)")
    pattern: Literal["lattice"]
    symbols: SymbolList = [0, 4, 7, 11]
    spacing: int = Field(default=6, ge=1)
    offsets: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)] = [0, 3]

    def mask(self, grid) -> np.ndarray:
        _check_symbols(self.symbols, grid)
        return _lattice(grid, self.symbols, self.offsets, self.spacing)


class DiamondPilots(PilotBase):
    description: ClassVar[str] = "lattice whose offsets alternate `offset` and `offset + spacing/2`"
    pattern: Literal["diamond"]
    symbols: SymbolList = [2, 6, 9, 13]
    spacing: int = Field(default=6, ge=2)
    offset: int = Field(default=0, ge=0)

    def mask(self, grid) -> np.ndarray:
        _check_symbols(self.symbols, grid)
        return _lattice(grid, self.symbols, [self.offset, self.offset + self.spacing // 2],
                        self.spacing)


class KroneckerPilots(PilotBase):
    description: ClassVar[str] = "`symbols` x (every `spacing`-th subcarrier from `offset`)"
    pattern: Literal["kronecker"]
    symbols: SymbolList = [2, 11]
    spacing: int = Field(default=4, ge=1)
    offset: int = Field(default=0, ge=0)

    def mask(self, grid) -> np.ndarray:
        _check_symbols(self.symbols, grid)
        return _lattice(grid, self.symbols, [self.offset], self.spacing)


class DmrsPilots(PilotBase):
    description: ClassVar[str] = (
        "5G NR PUSCH DM-RS (config_type, additional_position, length, type_a_position)")
    pattern: Literal["dmrs"]
    config_type: Literal[1, 2] = 1
    additional_position: Literal[0, 1, 2, 3] = 1
    length: Literal[1, 2] = 1
    type_a_position: Literal[2, 3] = 2

    def mask(self, grid) -> np.ndarray:
        from sionna.phy.nr import PUSCHConfig, PUSCHPilotPattern

        if grid.num_symbols != 14 or grid.num_subcarriers % 12:
            raise ConfigError("pilots.pattern: dmrs needs 14 symbols and a multiple of 12 "
                              f"subcarriers, got {grid.num_symbols}x{grid.num_subcarriers}")
        pusch = PUSCHConfig()
        pusch.carrier.n_size_grid = grid.num_subcarriers // 12
        pusch.carrier.subcarrier_spacing = grid.subcarrier_spacing / 1e3
        pusch.dmrs.config_type = self.config_type
        pusch.dmrs.length = self.length
        pusch.dmrs.type_a_position = self.type_a_position
        try:
            pusch.dmrs.additional_position = self.additional_position
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


class FilePilots(PilotBase):
    description: ClassVar[str] = "custom [S, F] 0/1 mask from a .npy, .csv or .txt file at `path`"
    pattern: Literal["file"]
    path: str = Field(min_length=1)

    def mask(self, grid) -> np.ndarray:
        path = Path(self.path)
        if not path.is_file():
            raise ConfigError(f"pilots.path: file not found: {path}")
        try:
            if path.suffix == ".npy":
                arr = np.load(path, allow_pickle=False)
            elif path.suffix in (".csv", ".txt"):
                arr = np.loadtxt(path, delimiter="," if path.suffix == ".csv" else None,
                                 ndmin=2)
            else:
                raise ConfigError(f"pilots.path: expected a .npy, .csv or .txt file, got "
                                  f"{path.name}")
        except (ValueError, OSError) as err:
            raise ConfigError(f"pilots.path: cannot read mask from {path.name} ({err})") \
                from None
        expected = (grid.num_symbols, grid.num_subcarriers)
        if arr.shape != expected:
            raise ConfigError(f"pilots.path: mask must have shape [S, F] = {list(expected)}, "
                              f"got {list(arr.shape)}")
        if not np.all(np.isin(arr, (0, 1))):
            raise ConfigError("pilots.path: mask entries must be 0 or 1")
        return arr.astype(bool)


#: the pilot patterns, each answering to its ``pattern`` tag(s)
PATTERNS: tuple[type[PilotBase], ...] = (ChannelNetPilots, BlockPilots, CombPilots,
                                          LatticePilots, DiamondPilots, KroneckerPilots,
                                          DmrsPilots, FilePilots)

#: a scenario's ``pilots``: the pattern of :data:`PATTERNS` named by its ``pattern`` tag
PilotConfig = tagged_union(lambda: PATTERNS, "pattern")


def pilot_patterns() -> dict[str, str]:
    """{pattern tag: one-line description} of every pattern in :data:`PATTERNS`."""
    return {tag: cls.description for cls in PATTERNS for tag in tags_of(cls, "pattern")}


def pilot_mask(cfg: PilotBase, grid) -> np.ndarray:
    """Boolean pilot mask ``[S, F]`` for a pilot config on a grid (ConfigError if invalid)."""
    mask = cfg.mask(grid)
    if not mask.any():
        raise ConfigError("pilots: the pattern places no pilot on this grid")
    return mask
