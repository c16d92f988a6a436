"""Configuration of a multi-user uplink link simulation (``python cli.py uplink``).

U single-antenna users send to one base station with L antennas over an OFDM grid;
each user's pilots sit on its own REs of the pilot symbols:

* ``fdm``: users interleaved on the subcarriers of every pilot symbol (user u on
  subcarriers u, u+U, …; Sionna's Kronecker pattern, pilots boosted by √U);
* ``tdm``: user u alone on pilot symbols u, u+U, … of ``pilot_symbols`` (all
  subcarriers);
* ``cdm``: users in pairs sharing a comb of every pilot symbol with length-2 orthogonal
  cover codes over adjacent comb REs (+1 +1 / +1 −1), the pairs' combs interleaved
  (as NR DM-RS type 1 ports 0–3: two CDM groups of two ports).

Channels: 3GPP TDL per user (independent fading, shared profile), normalised to unit
power per RE. Every field has a default: the small default runs on 2 CPU cores.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationError, model_validator

from chanest.schema import ConfigError, Range, Strict, format_validation_error

__all__ = ["UplinkConfig", "parse_uplink"]

class UplinkChannel(Strict):
    """TDL profile, RMS delay spread [ns] and user speed range [m/s] (drawn per batch)."""

    profile: Literal["A", "B", "C", "D", "E"] = "C"
    delay_spread_ns: float = Field(default=100.0, gt=0, le=5000)
    speed_mps: Range = (0.0, 3.0)


class UplinkConfig(Strict):
    seed: int = Field(default=0, ge=0, lt=2**63)
    users: int = Field(default=2, ge=1, le=16)
    rx_antennas: int = Field(default=4, ge=1, le=64)
    subcarriers: int = Field(default=72, ge=12, le=3300,
                             description="effective subcarriers (data and pilots)")
    num_symbols: int = Field(default=14, ge=2, le=28)
    subcarrier_spacing: float = Field(default=15e3, gt=0, le=960e3, description="Hz")
    carrier_frequency: float = Field(default=3.5e9, gt=0, le=1e11, description="Hz")
    guard_carriers: tuple[int, int] = (0, 0)
    dc_null: bool = False
    pilot_symbols: list[Annotated[int, Field(ge=0)]] = Field(default=[2, 11], min_length=1)
    pilots: Literal["fdm", "tdm", "cdm"] = "fdm"
    channel: UplinkChannel = Field(default_factory=UplinkChannel)
    snr_db: list[float] = Field(default=[0.0, 10.0, 20.0], min_length=1)
    modulation: Literal["qpsk", "16qam", "64qam"] = "qpsk"
    code_rate: float | None = Field(default=0.5, ge=0.2, le=948 / 1024,
                                    description="target rate of a 5G NR transport block "
                                                "(CRC, LDPC); null for uncoded BER only")
    batch_size: int = Field(default=16, ge=1, le=4096)
    min_errors: int = Field(default=100, ge=1, description="per SNR, in the stopping unit")
    max_batches: int = Field(default=20, ge=1)

    @model_validator(mode="after")
    def _pilots_fit(self) -> UplinkConfig:
        bad = [s for s in self.pilot_symbols if s >= self.num_symbols]
        if bad:
            raise ValueError(f"pilot_symbols: indices must be < num_symbols "
                             f"({self.num_symbols}), got {bad}")
        if self.pilots == "tdm" and len(self.pilot_symbols) % self.users:
            raise ValueError(f"pilot_symbols: tdm needs a multiple of users ({self.users}) "
                             f"pilot symbols, got {len(self.pilot_symbols)}")
        if self.pilots == "fdm" and self.subcarriers % self.users:
            raise ValueError(f"subcarriers: fdm needs a multiple of users ({self.users}), "
                             f"got {self.subcarriers}")
        pairs = -(-self.users // 2)
        if self.pilots == "cdm" and self.subcarriers % (2 * pairs):
            raise ValueError(f"subcarriers: cdm needs a multiple of {2 * pairs} (two REs per "
                             f"code on each of {pairs} combs), got {self.subcarriers}")
        return self

    @property
    def fft_size(self) -> int:
        return self.subcarriers + sum(self.guard_carriers) + int(self.dc_null)


def parse_uplink(data, source: str = "uplink config") -> UplinkConfig:
    """Validate a mapping (ConfigError with the field on failure)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: top level must be a mapping of fields")
    try:
        return UplinkConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(f"{source}: {format_validation_error(err)}") from None
