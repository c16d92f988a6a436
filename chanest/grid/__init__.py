"""The resource grid: OFDM geometry, pilot patterns and who sends pilots where.

* :mod:`.ofdm`: :class:`GridConfig` and presets, subcarrier/symbol geometry, pilot indices;
* :mod:`.pilots`: one config class per pilot pattern, each building its mask;
* :mod:`.users`: several uplink users (their pilot RE sets and cover codes);
* :mod:`.despread`: per-user LS values from code-division pilots;
* :mod:`.pilotcheck`: warnings about pilot layouts that cannot work.

The lowest layer after the leaves: it imports nothing else of chanest.
"""
