"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Mapping

import click

device_option = click.option(
    "--device", default="auto", show_default=True, metavar="auto|cpu|cuda[:N]",
    help="Where to compute.")

quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress bar.")


class TableChoice(click.Choice):
    """A choice among the keys of a table, read whenever the option is used, so entries
    added to the table after the command was defined count."""

    def __init__(self, table: Mapping[str, object]):
        self.table = table
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(self.table)

    @choices.setter
    def choices(self, _value) -> None:  # click.Choice assigns its own; the table decides
        pass


def config_option(help_text: str):
    """A required ``--config FILE`` option (stored as ``config_path``)."""
    return click.option("--config", "config_path", required=True,
                        type=click.Path(dir_okay=False), help=help_text)


#: library argument → the command-line spelling used in error messages. Library errors
#: name their own arguments (``ConfigError.arg``); the CLI reports them as its options.
CLI_SPELLING: dict[str, str] = {
    "path": "--config",  # load_config / read_yaml_mapping: the scenario or experiment file
    "paths": "--data",  # open_dataset
    "data": "--data",
    "dataset": "--data",
    "fit_data": "--fit-data",
    "fit_dataset": "--fit-data",
    "names": "--estimators",
    "user": "--user",
    "batch_size": "--batch-size",
    "memory_gb": "--memory-gb",
    "out_dir": "--out",
    "out": "--out",
    "num_samples": "--num-samples",
    "shard": "--shard",
    "merge": "--merge",
    "metric": "--metric",
    "modulation": "--modulation",
    "code_rate": "--code-rate",
    "min_errors": "--min-errors",
    "max_grids": "--max-grids",
    "resume": "--resume",
    "model_name": "MODEL",
    "model": "--model",
    "estimators": "--estimators",
    "x": "--x",
    "size": "--size",
    "ci": "--ci",
    "relative_to": "--relative-to",
    "tags": "--tag",
    "device": "--device",
    "plot": "--plot",
}


def cli_message(err) -> str:
    """The message of a library ConfigError with its argument spelled as a CLI option."""
    text, arg = str(err), getattr(err, "arg", None)
    if arg in CLI_SPELLING and text.startswith(f"{arg}:"):
        return CLI_SPELLING[arg] + text[len(arg):]
    return text
