"""The assessment benchmark's quick mode runs end to end (10 candidates at once, every score
checked), so the harness cannot rot; it never writes docs/benchmarks.md."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.databases import postgres_admin_url

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]


def test_quick_assessment_benchmark_scores_everyone_right() -> None:
    postgres_admin_url()  # PostgreSQL is a prerequisite (missing() when it is not configured)
    before = (ROOT / "docs" / "benchmarks.md").read_text()
    result = subprocess.run(
        [sys.executable, "-m", "bench.assessment_bench", "--quick"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "| 10 | 1 | 10 of 10 |" in result.stdout, result.stdout
    assert (ROOT / "docs" / "benchmarks.md").read_text() == before
