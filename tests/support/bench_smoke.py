"""A benchmark's ``--quick`` mode run end to end as a process, so its harness cannot rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "benchmarks.md"


def quick_bench(module: str, *args: str, timeout: float = 600) -> str:
    """``python -m bench.<module> --quick *args``: its stdout. Fails the test unless the run
    succeeds and leaves docs/benchmarks.md as it was (quick mode never writes the page)."""
    before = PAGE.read_text()
    result = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", "--quick", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert PAGE.read_text() == before, f"bench.{module} --quick rewrote {PAGE.name}"
    return result.stdout
