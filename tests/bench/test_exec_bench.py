"""The code execution benchmark's quick mode runs end to end, so the harness cannot rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from server.exec.engines.docker import engine as docker_engine
from tests.support.prerequisites import missing

pytestmark = [pytest.mark.slow, pytest.mark.bwrap, pytest.mark.docker]

ROOT = Path(__file__).resolve().parents[2]


def test_quick_exec_benchmark_reports_every_row() -> None:
    reason = anyio.run(docker_engine.probe)
    if reason is not None:
        missing(f"docker: {reason}")
    before = (ROOT / "docs" / "benchmarks.md").read_text()
    result = subprocess.run(
        [sys.executable, "-m", "bench.exec_bench", "--quick"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = ("| Duet `bwrap` |", "| Duet `docker` (crun) |", "| Duet `docker` (runc) |", "runs/s")
    for row in (*rows, "every run checked: 10 passed"):
        assert row in result.stdout
    assert (ROOT / "docs" / "benchmarks.md").read_text() == before  # quick mode never writes the page
