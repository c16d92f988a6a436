"""``python -m chanest COMMAND ...``: the same command group as ``python cli.py`` and the
``chanest`` script."""

from chanest.cli import main

if __name__ == "__main__":
    main()
