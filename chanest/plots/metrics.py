"""The table of figures ``plot --metric`` draws. A :class:`Metric` names a column of the
results table, or derives one from each row; to add a figure, add a :class:`Metric` to
:data:`METRICS`. Nothing here imports torch or matplotlib, so ``plot --help`` reads the
table without them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Metric", "METRICS"]


@dataclass(frozen=True)
class Metric:
    """One figure of ``plot``: a results column against ``x``.

    Attributes:
        column: CSV column (with ``_lo``/``_hi`` for the interval).
        label: y-axis label.
        help: one line for ``plot --help``.
        log: log y axis (linear values in the table).
        bounded: the bound rows are bounds of this metric (labelled "(bound)", else
            "(genie)").
        hint: how to get the column when it is missing.
        derive: ``derive(row) -> value`` computes ``column`` from the other columns of a
            row (no interval); None: the column is read from the table.
    """

    column: str
    label: str
    help: str = ""
    log: bool = False
    bounded: bool = True
    hint: str = ""
    derive: Callable[[dict], float] | None = None


METRICS = {
    "nmse": Metric("nmse_db", "NMSE [dB]", "E|e|^2/E|h|^2 (the bound applies)"),
    "nmse-ps": Metric("nmse_ps_db", "mean per-grid NMSE [dB]", "mean per-grid NMSE",
                      bounded=False),
    "mse": Metric("mse_db", "MSE [dB]", "per-RE MSE"),
    "calibration": Metric("calibration_db", "reported err_var − measured MSE [dB]",
                          "reported err_var minus measured MSE [dB]", bounded=False,
                          derive=lambda row: row["err_var_db"] - row["mse_db"]),
    "ber": Metric("ber", "BER", "from `evaluate --metric ber`, on a log axis", log=True,
                  hint="evaluate --metric ber writes it"),
    "bler": Metric("bler", "BLER", "from `evaluate --metric bler`, on a log axis", log=True,
                   hint="evaluate --metric bler writes it for coded runs"),
}
