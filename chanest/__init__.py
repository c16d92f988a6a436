"""chanest: OFDM channel-estimation research toolkit.

Data flow: scenario YAML → simulate → HDF5 dataset → estimators → results tables → plots;
neural estimators are trained on simulated or stored grids and load as ``ckpt:PATH``.

Map of the package (one concern per module)::

  configuration   schema       strict base model, ConfigError, the one YAML reader
                  grid         GridConfig + presets, subcarrier/symbol geometry, pilot symbols
                  pilots       one config class per pilot pattern, each building its mask
                  config       Scenario (grid, pilots, channel, noise); re-exports the above
                  experiment   training experiment; sweep: per-SNR families + agnostic runs
  simulation      profiles, channels   tap profiles, channel samplers (TDL/CDL/PDP/Rayleigh)
                  simulate     Simulator: scenario → reproducible chunks of grids (Batch)
                  pilotcheck   warnings about pilot layouts that cannot work
                  users, despread   several uplink users: their pilot REs, cover codes
                               and per-user LS values; userview: one user as single-user data
  storage         writer       resumable HDF5 dataset writer; dataset: the reader
                  checkpoint   safetensors + JSON checkpoints, hash-verified
                  fileio       atomic_write: every file is written through a synced
                               temporary file renamed over it
  context         GridContext: grid, pilots, channel statistics; check_compatible
  estimators/     base (contract), catalog + registry (names), one file per family,
                  neural (front end for networks), checkpointed (ckpt:/pretrained:),
                  peruser (one estimator per user on multi-user data)
  models/         networks; each declares inputs, arguments, stages (base);
                  registry builds them, io: save_model / load_model
  training/       loop (Trainer), objective, optim, validation, resume, runlog;
                  trainingdata: the batches (dataset or simulator); train: entry point
  link/           SionnaEstimator (any estimator inside a Sionna link), BER/BLER with
                  Sionna's LMMSE equalizer and 5G LDPC, the multi-user uplink
  deployment      export (ONNX / TorchScript), complexity (params, counted MACs, timing)
  evaluation      metrics (snr_db, NMSE, CIs, nearest-SNR), evaluate (the sweep over a
                  dataset), results (tables and files); plot, plotstyle, gridplot
  front end       cli + commands/: thin click commands that translate library argument
                  names into their options; device, distributed, seeding, versions, warn
"""

from chanest.versions import __version__

__all__ = ["__version__", "SionnaEstimator"]


def __getattr__(name: str):
    if name == "SionnaEstimator":  # imported on first use: it pulls in Sionna
        from chanest.link.adapter import SionnaEstimator

        return SionnaEstimator
    raise AttributeError(f"module 'chanest' has no attribute {name!r}")
