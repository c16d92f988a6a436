"""The ``chanest`` command group (also ``python cli.py``).

Commands are thin: parse arguments, call the library, print. Library errors
for bad input (:class:`~chanest.schema.ConfigError`) become one line on
stderr and exit code 2, without a traceback; a library argument named in the
message is spelled as the command-line option (``paths:`` → ``--data:``).
"""

from __future__ import annotations

import sys
import warnings

import click

from chanest.commands.complexity import complexity_command
from chanest.commands.evaluate import evaluate_command
from chanest.commands.export import export_command
from chanest.commands.info import info_command
from chanest.commands.inspect import inspect_command
from chanest.commands.options import cli_message
from chanest.commands.plot import plot_command, plot_training_command
from chanest.commands.quickstart import quickstart_command
from chanest.commands.simulate import simulate_command
from chanest.commands.sweep import sweep_command
from chanest.commands.train import train_command
from chanest.commands.uplink import uplink_command
from chanest.schema import ConfigError
from chanest.versions import __version__
from chanest.warn import ChanestWarning

__all__ = ["main"]


class _Group(click.Group):
    """Reports every input error as one line ``Error: ...`` on stderr, exit code 2
    (file-system errors too: an unwritable output folder, a full disk)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("once", ChanestWarning)
                warnings.showwarning = _show_warning
                code = super().main(args, prog_name, complete_var, standalone_mode=False,
                                    **extra)
        except ConfigError as err:
            click.echo(f"Error: {cli_message(err)}", err=True)
            sys.exit(2)
        except OSError as err:  # unwritable or vanished paths, full disks: one line too
            where = f": {err.filename}" if err.filename else ""
            click.echo(f"Error: {err.strerror or err}{where}", err=True)
            sys.exit(2)
        except click.ClickException as err:
            click.echo(f"Error: {err.format_message()}", err=True)
            sys.exit(err.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    if issubclass(category, ChanestWarning):
        click.echo(f"Warning: {message}", err=True)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="chanest")
def main() -> None:
    """chanest: simulate OFDM pilot grids, evaluate channel estimators, plot NMSE vs SNR."""


for command in (quickstart_command, info_command, simulate_command, inspect_command,
                evaluate_command, plot_command, plot_training_command, train_command,
                sweep_command, export_command, complexity_command, uplink_command):
    main.add_command(command)
