"""``info``: grid presets, pilot patterns and channel models."""

from __future__ import annotations

import click


@click.command("info")
@click.option("--default-config", is_flag=True,
              help="Print the embedded default scenario as YAML and exit.")
def info_command(default_config):
    """List grid presets, pilot patterns and channel models."""
    import chanest.channels
    from chanest.channels.profiles import PDP_TABLES, pdp_table_profile, rms_delay_spread
    from chanest.data.scenario import Scenario
    from chanest.grid.ofdm import GRID_PRESETS
    from chanest.grid.pilots import pilot_patterns
    from chanest.schema import tags_of

    if default_config:
        click.echo(Scenario().to_yaml(), nl=False)
        return
    click.echo("Grid presets (grid.preset):")
    for name, p in GRID_PRESETS.items():
        click.echo(f"  {name:<11} {p['num_subcarriers']:>4} subcarriers x "
                   f"{p['num_symbols']} symbols, {p['subcarrier_spacing'] / 1e3:g} kHz, "
                   f"fc {p['carrier_frequency'] / 1e9:g} GHz")
    click.echo("\nPilot patterns (pilots.pattern):")
    for name, desc in pilot_patterns().items():
        click.echo(f"  {name:<14} {desc}")
    click.echo("\nChannel models (channel.models[].model):")
    for cls in chanest.channels.MODELS:  # read when called: the table may grow
        for name in tags_of(cls, "model"):
            click.echo(f"  {name:<9} {cls.description}")
    click.echo("\nTabulated PDPs (pdp profile: taps, RMS delay spread, max excess delay):")
    for name in PDP_TABLES:
        prof = pdp_table_profile(name)
        click.echo(f"  {name:<5} {len(prof.delays)} taps, "
                   f"{rms_delay_spread(prof.delays, prof.powers) * 1e9:6.1f} ns, "
                   f"{prof.delays[-1] * 1e9:6.0f} ns")
    _echo_pretrained()


def _echo_pretrained() -> None:
    from chanest.pretrained import available, card

    click.echo("\nPretrained models (--estimators pretrained:NAME):")
    for name in available():
        c = card(name)
        b = c["budget"]
        click.echo(f"  {name}: {c['model']['name']} {c['model']['kwargs'].get('base', '')}, "
                   f"scenario {c['scenario']}; validation NMSE {c['val_nmse_db']:.2f} dB "
                   f"(mean over SNRs {c['val_score_db']:.2f} dB)\n"
                   f"    trained with `{c['command']}`: {b['epochs']} epochs x "
                   f"{b['grids_per_epoch']} grids, {b['wall_s'] / 60:.0f} min on {b['device']}")
    if not available():
        click.echo("  (none)")
