"""``simulate``: scenario → HDF5 dataset (streaming, resumable, shardable)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from chanest.commands.options import device_option, quiet_option
from chanest.schema import ConfigError


@click.command("simulate")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Scenario YAML (default: the embedded default scenario).")
@click.option("--num-samples", "-n", type=click.IntRange(min=1), default=10_000,
              show_default=True, help="Grids in the whole dataset (all shards).")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
              help="Output .h5 file [default: data/<config name>.h5; with --shard: "
                   "data/<config name>-shard<i>of<n>.h5].")
@device_option
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Grids per write; a multiple of the scenario's chunk_size "
                   "[default: 16 chunks]. Never changes the data.")
@click.option("--shard", default=None, metavar="i/n|auto",
              help="Write only shard i of n (contiguous chunk ranges); auto: this "
                   "process's shard under torchrun (RANK/WORLD_SIZE) or in a SLURM job "
                   "array (SLURM_ARRAY_TASK_ID/COUNT), into OUT-shard<i>of<n>.h5.")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=None,
              help="Use this seed instead of the scenario's (e.g. a training set and a test "
                   "set of one scenario); the file records the resolved scenario.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@quiet_option
def simulate_command(config_path, num_samples, out, device, batch_size, shard, seed,
                     overwrite, quiet):
    """Simulate channel grids and pilot observations into an HDF5 dataset.

    Completed chunks are journaled in OUT.partial/ and survive any interruption
    (a hard kill included); running the same command again resumes from them.
    """
    from tqdm import tqdm

    from chanest.data.dataset import DatasetWriter, parse_shard
    from chanest.data.scenario import load_config
    from chanest.data.simulate import Simulator
    from chanest.interrupt import ctrl_c
    from chanest.launch import process_device

    scenario = load_config(config_path)
    if seed is not None:
        scenario = scenario.model_copy(update={"seed": seed})
    shard_spec = parse_shard(shard)
    dev = process_device(device)
    suffix = f"-shard{shard_spec.index}of{shard_spec.count}" if shard else ""
    if out is None:
        stem = Path(config_path).stem if config_path else "default"
        out = Path("data") / f"{stem}{suffix}.h5"
    out = Path(out)
    if out.suffix.lower() not in (".h5", ".hdf5"):
        raise ConfigError(f"--out: a dataset file name ends in .h5 or .hdf5, got {str(out)!r}")
    if shard is not None and shard.strip() == "auto":  # one command line for every process
        out = out.with_name(f"{out.stem}{suffix}{out.suffix}")
    if out.parent.exists() and not out.parent.is_dir():
        raise ConfigError(f"--out: {out.parent} is not a directory")
    batch_size = batch_size or 16 * scenario.chunk_size
    sim = Simulator(scenario, device=dev)
    writer = DatasetWriter(out, sim, num_samples, shard_spec, batch_size, overwrite=overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)

    start, first_done = time.perf_counter(), None
    bar = tqdm(total=writer.num_samples, unit="grid", unit_scale=True, disable=quiet,
               desc=out.name, dynamic_ncols=True)

    def progress(done: int, _total: int) -> None:
        nonlocal first_done
        if first_done is None:
            first_done = done
            if done:
                bar.write(f"resuming {writer.partial}: {done} grids already done")
        bar.update(done - bar.n)
        interrupt.check()  # a Ctrl-C that a finalizer swallowed stops here

    try:
        with ctrl_c() as interrupt:
            writer.run(progress)
    except KeyboardInterrupt:
        bar.close()
        click.echo(f"\ninterrupted: completed chunks kept in {writer.partial}; run the same "
                   "command again to resume", err=True)
        raise SystemExit(130) from None
    bar.close()
    elapsed = time.perf_counter() - start
    made = writer.num_samples - (first_done or 0)
    g, A = scenario.grid, scenario.channel.num_rx_antennas
    U = scenario.num_users
    links = f"L={A}" if sim.users is None else \
        f"L={sim.num_links} = {U} user{'s' * (U > 1)} x {A} antenna{'s' * (A > 1)}"
    click.echo(f"wrote {out}: {writer.num_samples} grids "
               f"[{links}, S={g.num_symbols}, "
               f"F={g.num_subcarriers}], {len(sim.pilot_idx)} pilot REs, {made} new in "
               f"{elapsed:.1f} s ({made / max(elapsed, 1e-9):,.0f} grids/s) on {dev}")
