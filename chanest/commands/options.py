"""Options shared by several commands."""

from __future__ import annotations

import click

device_option = click.option(
    "--device", default="auto", show_default=True, metavar="auto|cpu|cuda[:N]",
    help="Where to compute.")

quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress bar.")


def config_option(help_text: str):
    """A required ``--config FILE`` option (stored as ``config_path``)."""
    return click.option("--config", "config_path", required=True,
                        type=click.Path(dir_okay=False), help=help_text)
