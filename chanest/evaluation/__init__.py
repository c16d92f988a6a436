"""Evaluation: estimators on the same grids, tables with provenance, complexity.

* :mod:`.evaluate`: the NMSE sweep over a dataset (and the core the link level shares);
* :mod:`.results`: result tables and their files;
* :mod:`.complexity`: parameters, counted MACs and timing of estimators.
"""
