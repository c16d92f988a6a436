"""Entry point: ``python cli.py COMMAND ...`` (same group as the ``chanest`` script)."""

from chanest.cli import main

if __name__ == "__main__":
    main()
