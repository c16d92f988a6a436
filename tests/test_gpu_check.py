"""sims/gpu_check.sh where there is no GPU: a report saying so and exit status 2, nothing
run (``--cpu`` runs every step on the CPU: 2-6 minutes on 2 cores, not part of the
tests)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
def test_gpu_check_without_a_gpu_reports_it_and_exits_with_2(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable, "OUT": str(tmp_path / "out")}
    res = subprocess.run(["bash", str(REPO / "sims" / "gpu_check.sh")], env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["result"].startswith("no GPU") and report["steps"] == []
    assert report["versions"]["torch"] == torch.__version__
    assert "no GPU" in (tmp_path / "out" / "report.md").read_text()
