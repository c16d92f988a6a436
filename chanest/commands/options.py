"""Options shared by several commands."""

from __future__ import annotations

import click

device_option = click.option(
    "--device", default="auto", show_default=True, metavar="auto|cpu|cuda[:N]",
    help="Where to compute.")

quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
