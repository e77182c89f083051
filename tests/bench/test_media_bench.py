"""The audio/video benchmark's quick mode runs end to end, so the harness cannot rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def test_quick_media_benchmark_reports_every_row() -> None:
    before = (ROOT / "docs" / "benchmarks.md").read_text()
    result = subprocess.run(
        [sys.executable, "-m", "bench.media_bench", "--quick"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for row in (
        "| Duet (`duet serve`, encoded frames forwarded) |",
        "| aiortc `MediaRelay` (decode, then encode for the receiver) |",
        "**Added end-to-end latency**",
        "| 1 |",
    ):
        assert row in result.stdout
    assert (ROOT / "docs" / "benchmarks.md").read_text() == before  # quick mode never writes the page
