"""Figures: each reads result files only, and writes its plotted points beside it.

* :mod:`.results`: metric vs SNR (or any column) from ``results.csv`` files;
* :mod:`.training`: learning curves from run logs;
* :mod:`.grid`: one grid, its pilots, an estimate and its error;
* :mod:`.metrics`: the metrics ``plot`` draws; :mod:`.data`: reading and selecting
  result rows; :mod:`.style`: the style table; :mod:`.files`: figure files and their CSV
  of points.
"""
