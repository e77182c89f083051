"""The scoring benchmark's quick mode runs end to end (bare loop and bwrap), so it cannot rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.bwrap]

ROOT = Path(__file__).resolve().parents[2]


def test_quick_scoring_benchmark_reports_both_rows() -> None:
    before = (ROOT / "docs" / "benchmarks.md").read_text()
    result = subprocess.run(
        [sys.executable, "-m", "bench.scoring_bench", "--quick", "--engines", "bwrap"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for row in ("| bare `/usr/bin/python3 -m pytest` on the host |", "| `bwrap` |", "share of bare"):
        assert row in result.stdout
    assert (ROOT / "docs" / "benchmarks.md").read_text() == before  # quick mode never writes the page
