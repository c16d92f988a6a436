"""chanest: OFDM channel-estimation research toolkit.

Data flow: scenario YAML → simulate → HDF5 dataset → estimators → results tables → plots;
neural estimators are trained on simulated or stored grids and load as ``ckpt:PATH``.

Map of the package, bottom up: each folder imports only from the ones above it in this
list (tests/test_imports.py checks it), so the data flow reads top to bottom::

  leaves        schema (strict config base, ConfigError, the YAML reader), fileio
                (atomic_write), seeding, versions, warn, device, metrics (NMSE, CIs, SNR)
  grid/         ofdm (GridConfig, presets, geometry), pilots (PATTERNS: one config class
                per pattern, each building its mask), users + despread (several uplink
                users, cover codes), pilotcheck (layouts that cannot work)
  channels/     MODELS: one file per family (tdl, cdl, pdp, rayleigh, system = UMi/UMa/RMa),
                each config building its sampler; arrays (channel.array), paths (each
                grid's propagation paths), profiles (tap delays and powers)
  data/         scenario (Scenario, load_config), context (GridContext, check_compatible),
                batch, simulate (Simulator), writer + dataset (HDF5), userview, summary
  models/       networks (MODELS), blocks, io (save/load), checkpoint (safetensors + JSON)
  pretrained/   models shipped with the package (pretrained:NAME)
  estimators/   base (contract), catalog (roles, one file per family), registry (names,
                ckpt:/pretrained:), neural (front end), peruser, export (ONNX/TorchScript)
  evaluation/   core (one pass over test grids, shared with the link level), evaluate +
                summary + results (NMSE tables), complexity (parameters, MACs, timing)
  training/     loop (Trainer), objective, optim, validation, resume, runlog, runfolder,
                data (dataset or simulator batches), experiment, sweep, distributed
  link/         SionnaEstimator, BER/BLER (Sionna's equalizer, 5G NR transport blocks), uplink
  plots/        results (metric vs SNR), training (curves), grid, data, style, files
  commands/     thin click commands, one per file; cli: the group
"""

from chanest.versions import __version__

__all__ = ["__version__", "SionnaEstimator"]


def __getattr__(name: str):
    if name == "SionnaEstimator":  # imported on first use: it pulls in Sionna
        from chanest.link.adapter import SionnaEstimator

        return SionnaEstimator
    raise AttributeError(f"module 'chanest' has no attribute {name!r}")
