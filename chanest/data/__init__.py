"""From a scenario to stored grids: the data flow up to the dataset file.

* :mod:`.scenario`: :class:`Scenario` (grid, pilots, channel, noise, users), ``load_config``;
* :mod:`.context`: :class:`GridContext`, what an estimator may know about a grid;
* :mod:`.batch`: :class:`Batch`, grids with their pilots and per-sample parameters;
* :mod:`.simulate`: :class:`Simulator`, a scenario → reproducible chunks of grids;
* :mod:`.writer`, :mod:`.dataset`: the resumable HDF5 writer and its reader;
* :mod:`.userview`: one user of multi-user data seen as single-user data;
* :mod:`.summary`: what a dataset holds (per-model ranges, SNRs, power), for ``inspect``.
"""
