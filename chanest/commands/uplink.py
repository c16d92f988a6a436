"""``uplink``: multi-user uplink through Sionna, NMSE/BER/BLER of chanest estimators."""

from __future__ import annotations

import click

from chanest.commands.options import device_option, quiet_option
from chanest.schema import ConfigError

__all__ = ["uplink_command", "DEFAULT_UPLINK_ESTIMATORS"]

DEFAULT_UPLINK_ESTIMATORS = "sionna-ls,ls-linear,lmmse-robust,lmmse-adaptive,lmmse"


@click.command("uplink")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Uplink YAML (users, antennas, grid, pilots fdm|tdm, TDL, SNRs, coding); "
                   "default: 2 users, 4 antennas, 72x14.")
@click.option("--estimators", default=DEFAULT_UPLINK_ESTIMATORS, show_default=True,
              help="Comma-separated chanest estimator names, pretrained:/ckpt: models, or "
                   "sionna-ls (Sionna's LS estimator); A|B|... gives one per user (e.g. a "
                   "network trained for each user's pilot layout).")
@click.option("--out", "-o", default="results/uplink", show_default=True,
              type=click.Path(file_okay=False), help="Output directory.")
@click.option("--overwrite", is_flag=True, help="Replace results already in --out.")
@device_option
@quiet_option
def uplink_command(config_path, estimators, out, overwrite, device, quiet):
    """Simulate a multi-user uplink (U users, L base-station antennas, orthogonal pilots)
    and compare estimators on NMSE, BER and BLER with LMMSE detection."""
    from chanest.device import resolve_device
    from chanest.evaluation.evaluate import refuse_existing_results, write_results
    from chanest.link.uplink import SIONNA_LS, run_uplink
    from chanest.link.uplink_config import parse_uplink
    from chanest.schema import read_yaml_mapping

    cfg = parse_uplink(read_yaml_mapping(config_path) if config_path else {},
                       source=config_path or "uplink config")
    names = [n.strip() for n in estimators.split(",") if n.strip()]
    if not names:
        raise ConfigError("--estimators: give at least one name")
    from chanest.estimators.registry import parse_estimator_names

    chanest_names = [part for n in names if n != SIONNA_LS for part in n.split("|")]
    if chanest_names:
        parse_estimator_names(",".join(chanest_names))  # one-line error for unknown names
    refuse_existing_results(out, overwrite)

    def progress(snr, batch):
        if not quiet:
            click.echo(f"\r  SNR {snr:g} dB: batch {batch}/{cfg.max_batches}", nl=False,
                       err=True)

    result = run_uplink(cfg, names, resolve_device(device), progress)
    if not quiet:
        click.echo("", err=True)
    paths = write_results(result, out)
    click.echo(result.table(), nl=False)
    click.echo(f"wrote {paths['csv']}, {paths['json']}")
