"""Evaluation: estimators on the same grids, tables with provenance, complexity.

* :mod:`.core`: the estimators of one evaluation, built, fitted and run batch by batch
  with per-grid errors (shared by the NMSE sweep and the link level);
* :mod:`.summary`: per-grid errors → summary rows and paired deltas;
* :mod:`.evaluate`: the NMSE sweep over a dataset;
* :mod:`.results`: result tables and their files;
* :mod:`.complexity`: parameters, counted MACs and timing of estimators.
"""
