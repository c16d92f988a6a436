"""Click commands, one module each; registered in :mod:`chanest.cli`."""
