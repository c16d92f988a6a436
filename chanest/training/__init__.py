"""Training neural estimators, one concern per module.

* :mod:`~chanest.training.loop`: :class:`Trainer` (stages, epochs, steps, early stopping);
* :mod:`~chanest.training.objective`: the losses (``train.loss``);
* :mod:`~chanest.training.optim`: optimizer, schedule, mixed precision;
* :mod:`~chanest.training.validation`: validation NMSE, score and error map;
* :mod:`~chanest.training.resume`: ``best``/``last`` checkpoints and the train state;
* :mod:`~chanest.training.runlog`: ``log.csv`` and TensorBoard;
* :mod:`~chanest.training.runfolder`: one run per folder, replacing an earlier run.

The data comes from :mod:`chanest.training.data`, the models from :mod:`chanest.models`.
"""
