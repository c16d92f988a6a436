"""The receiver's antenna array: ULA, UPA and 3GPP TR 38.901 panel arrays.

``channel.array`` describes the base-station array of the uplink; the models with a
geometry (CDL, UMi/UMa/RMa) build a Sionna ``PanelArray`` from it. An array is
``panels`` = [panel rows, panel columns] of panels, each ``rows`` × ``columns`` elements,
single- or dual-polarised (two co-located elements per position), with an omni or the
38.901 element pattern. Spacings are in wavelengths. ``channel.num_rx_antennas: L`` is the
shorthand for a vertically polarised omni ULA of L elements at half a wavelength.

Element order (the dataset's antenna axis): Sionna's ``PanelArray`` order. Within a
panel, positions go column by column (top to bottom within a column); a dual-polarised
panel lists every position with the first polarisation, then every position with the
second. :meth:`ArrayConfig.positions` gives
each element's position and polarisation slant, and datasets record them.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from chanest.schema import Strict

__all__ = ["ArrayConfig", "ula"]

MAX_ELEMENTS = 256


class ArrayConfig(Strict):
    """An antenna array (module docstring)."""

    type: Literal["ula", "upa", "panel"] = "ula"
    rows: int = Field(default=1, ge=1, le=64, description="element rows per panel")
    columns: int = Field(default=1, ge=1, le=64, description="element columns per panel")
    panels: tuple[int, int] = Field(default=(1, 1), description="panel rows, panel columns")
    spacing: tuple[float, float] = Field(default=(0.5, 0.5),
                                         description="element spacing [wavelengths]: "
                                                     "horizontal, vertical")
    panel_spacing: tuple[float, float] | None = Field(
        default=None, description="panel spacing [wavelengths]: horizontal, vertical "
                                  "(default: panel size + 0.5)")
    polarization: Literal["single", "dual"] = "single"
    polarization_type: Literal["V", "H", "cross", "VH"] | None = None
    pattern: Literal["omni", "38.901"] = "omni"

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = dict(data)
        if isinstance(out.get("spacing"), (int, float)) and not isinstance(out["spacing"], bool):
            out["spacing"] = (out["spacing"], out["spacing"])
        if out.get("polarization_type") is None:
            out["polarization_type"] = "cross" if out.get("polarization") == "dual" else "V"
        if out.get("pattern") == 38.901:  # YAML reads an unquoted 38.901 as a number
            out["pattern"] = "38.901"
        return out

    @model_validator(mode="after")
    def _check(self) -> ArrayConfig:
        if self.type == "ula" and self.rows != 1:
            raise ValueError("a ula has one row of elements; use type: upa for rows > 1")
        if self.type != "panel" and (tuple(self.panels) != (1, 1)
                                     or self.panel_spacing is not None):
            raise ValueError(f"panels and panel_spacing belong to type: panel, not {self.type}")
        if min(self.panels) < 1:
            raise ValueError(f"panels must be >= 1, got {list(self.panels)}")
        if min(self.spacing) <= 0:
            raise ValueError(f"spacing must be > 0 wavelengths, got {list(self.spacing)}")
        single = self.polarization == "single"
        if single != (self.polarization_type in ("V", "H")):
            allowed = "V or H" if single else "cross or VH"
            raise ValueError(f"polarization_type of a {self.polarization}-polarised array is "
                             f"{allowed}, got {self.polarization_type}")
        if self.num_elements > MAX_ELEMENTS:
            raise ValueError(f"the array has {self.num_elements} elements; at most "
                             f"{MAX_ELEMENTS} are supported")
        return self

    @property
    def num_elements(self) -> int:
        """A: elements (antenna ports) of the array."""
        per_position = 2 if self.polarization == "dual" else 1
        return self.rows * self.columns * self.panels[0] * self.panels[1] * per_position

    @property
    def unit_gain(self) -> bool:
        """Whether every element is vertically polarised and omni: a vertically polarised
        ray then arrives with unit gain at every element."""
        return self.pattern == "omni" and self.polarization_type == "V"

    def describe(self) -> str:
        """One line, e.g. ``4x4 dual-polarised (cross) 38.901 panel array, 32 elements``."""
        pol = "single-polarised" if self.polarization == "single" else "dual-polarised"
        panels = "" if tuple(self.panels) == (1, 1) else f"{self.panels[0]}x{self.panels[1]} × "
        return (f"{panels}{self.rows}x{self.columns} {pol} ({self.polarization_type}) "
                f"{self.pattern} {self.type}, {self.num_elements} elements")

    def sionna(self, carrier_frequency: float, device: str = "cpu"):
        """The Sionna ``PanelArray`` of this array."""
        from sionna.phy.channel.tr38901 import PanelArray

        h, v = self.spacing
        ph, pv = self.panel_spacing if self.panel_spacing is not None else (None, None)
        return PanelArray(num_rows_per_panel=self.rows, num_cols_per_panel=self.columns,
                          polarization=self.polarization,
                          polarization_type=self.polarization_type,
                          antenna_pattern=self.pattern, carrier_frequency=carrier_frequency,
                          num_rows=self.panels[0], num_cols=self.panels[1],
                          panel_vertical_spacing=pv, panel_horizontal_spacing=ph,
                          element_vertical_spacing=v, element_horizontal_spacing=h,
                          precision="single", device=device)

    def positions(self, carrier_frequency: float) -> tuple[np.ndarray, np.ndarray]:
        """(positions [A, 3] in m in the array's frame, slant [A] in degrees) per element,
        in the dataset's antenna order."""
        arr = self.sionna(carrier_frequency)
        pos = arr.ant_pos.cpu().double().numpy()
        slant = np.zeros(self.num_elements)
        first = {"V": 0.0, "H": 90.0, "cross": -45.0, "VH": 0.0}[self.polarization_type]
        slant[arr.ant_ind_pol1.cpu().numpy()] = first
        if self.polarization == "dual":
            slant[arr.ant_ind_pol2.cpu().numpy()] = first + 90.0
        return pos, slant


def ula(num_elements: int) -> ArrayConfig:
    """The ``num_rx_antennas`` shorthand: vertical omni ULA at half a wavelength."""
    return ArrayConfig(type="ula", columns=num_elements)
