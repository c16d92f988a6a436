"""Start-up: the command group, its --help and ``import chanest`` load neither torch, Sionna
nor matplotlib (they load when a command runs); ``python -m chanest`` is the command group."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "sionna", "matplotlib")


def _python(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True,
                          env=env, timeout=120)


def _heavy_modules_after(code: str) -> list[str]:
    """The heavy packages in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    res = _python("-c", f"{code}\nimport json, sys\n"
                        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_neither_torch_sionna_nor_matplotlib():
    assert _heavy_modules_after("import chanest.cli") == []


def test_importing_chanest_loads_neither_torch_sionna_nor_matplotlib():
    assert _heavy_modules_after("import chanest\ndir(chanest)") == []


def test_every_command_help_loads_neither_torch_sionna_nor_matplotlib():
    code = ("from click.testing import CliRunner\n"
            "from chanest.cli import main\n"
            "for args in [['--help'], *([name, '--help'] for name in main.commands)]:\n"
            "    res = CliRunner().invoke(main, args)\n"
            "    assert res.exit_code == 0 and 'Usage:' in res.output, (args, res.output)\n")
    assert _heavy_modules_after(code) == []


def test_the_check_sees_a_heavy_import():
    assert _heavy_modules_after("import chanest.data.batch") == ["torch"]


def test_python_dash_m_chanest_runs_the_command_group():
    from chanest.cli import main

    res = _python("-m", "chanest", "--help")
    assert res.returncode == 0, res.stderr
    listed = res.stdout.split("Commands:")[1].split()
    assert set(main.commands) <= set(listed)
    res = _python("-m", "chanest", "no-such-command")
    assert res.returncode == 2 and "No such command" in res.stderr
