"""chanest: OFDM channel-estimation research toolkit.

Data flow: scenario YAML → simulate → HDF5 dataset → estimators → results tables → plots;
neural estimators are trained on simulated or stored grids and load as ``ckpt:PATH``.

Map of the package, bottom up: each folder imports only from the ones above it in this
list (tests/test_imports.py checks it), so the data flow reads top to bottom::

  leaves        schema (strict config base, ConfigError, the YAML reader), fileio
                (atomic_write), seeding, versions, warn, device, metrics (NMSE, CIs, SNR),
                launch (torchrun / SLURM array: --shard auto, one GPU per process)
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
                summary + results (NMSE tables), shards (split and merged evaluations),
                complexity (parameters, MACs, timing)
  training/     loop (Trainer), objective, optim, validation, resume, runlog, runfolder,
                data (dataset or simulator batches, per rank), loader (DataLoader over
                stored grids), experiment, sweep, distributed, determinism
  link/         SionnaEstimator, BER/BLER (Sionna's equalizer, 5G NR transport blocks), uplink
  plots/        results (metric vs SNR), training (curves), grid, data, style, files
  commands/     thin click commands, one per file; cli: the group

Python API (a worked example: ``examples/quickstart_api.py``): every name below is
importable from ``chanest`` and loaded on first use, so ``import chanest`` itself imports
neither torch nor Sionna::

  Scenario, load_config, parse_config
                        a scenario: the default, read from YAML, or built from a dict
  Simulator             ``Simulator(scenario, device).generate(n)`` -> Batch in memory
  Batch                 grids on one device: h [B, L, S, F], y [B, L, P], no, snr_db, ...
  DatasetWriter         ``DatasetWriter(path, simulator, n).run()``: a dataset file
                        (journaled, resumable, shardable)
  open_dataset          a file, glob or shard list -> ChannelDataset
  ChannelDataset        read(start, stop) -> Batch, context(), and a torch Dataset:
                        ``ds[i]`` is one grid's tensors for a DataLoader
  context_from_simulator
                        the GridContext of a Simulator (``ChannelDataset.context()``
                        for a dataset): what estimators are built for
  available_estimators  {name: description} of the registered estimators
  build_estimator       any estimator by name (``ckpt:`` and ``pretrained:`` too)
  observe               Batch -> the Observation ``estimator.estimate`` takes
  evaluate              estimators on every grid of a dataset -> EvaluationResult
  EvaluationResult      rows, paired differences, provenance; ``table()`` prints NMSE
  write_results         results.csv, paired.csv, results.json into a folder
  evaluate_to_dir       open, evaluate and write in one call (``evaluate`` command)
  load_experiment, parse_experiment
                        a training experiment from YAML or a dict
  Trainer               ``Trainer(experiment, device).fit()`` (``train`` command)
  plot_results          metric vs SNR figures from results.csv files (``plot``)
  plot_training         training curves from run folders (``plot-training``)
  SionnaEstimator       any chanest estimator as a Sionna block ``(y, no) -> (h_hat,
                        err_var)``
  ConfigError           the error bad input raises (one line naming the field)
"""

from chanest.versions import __version__

#: public name -> the module defining it, imported on first use of the name
_HOMES = {
    "Scenario": "chanest.data.scenario",
    "load_config": "chanest.data.scenario",
    "parse_config": "chanest.data.scenario",
    "Simulator": "chanest.data.simulate",
    "Batch": "chanest.data.batch",
    "DatasetWriter": "chanest.data.writer",
    "open_dataset": "chanest.data.dataset",
    "ChannelDataset": "chanest.data.dataset",
    "context_from_simulator": "chanest.data.context",
    "available_estimators": "chanest.estimators.registry",
    "build_estimator": "chanest.estimators.registry",
    "observe": "chanest.estimators.base",
    "evaluate": "chanest.evaluation.evaluate",
    "EvaluationResult": "chanest.evaluation.results",
    "write_results": "chanest.evaluation.results",
    "evaluate_to_dir": "chanest.evaluation.evaluate",
    "load_experiment": "chanest.training.experiment",
    "parse_experiment": "chanest.training.experiment",
    "Trainer": "chanest.training.loop",
    "plot_results": "chanest.plots.results",
    "plot_training": "chanest.plots.training",
    "SionnaEstimator": "chanest.link.adapter",
    "ConfigError": "chanest.schema",
}

__all__ = ["__version__", *_HOMES]


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'chanest' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
