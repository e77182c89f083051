"""The hostile-participant benchmark's quick mode runs end to end against both servers (the one
built from git before the checks, and this tree), so the harness cannot rot."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.bench_smoke import quick_bench
from tests.support.prerequisites import missing

pytestmark = [pytest.mark.slow, pytest.mark.node]

ROOT = Path(__file__).resolve().parents[2]


def test_quick_hostile_benchmark_measures_both_servers() -> None:
    if not (ROOT / "bench" / "sync" / "node_modules" / ".installed").exists() or not shutil.which("taskset"):
        missing("the benchmark's Node packages are not installed (make bench-deps)")
    if subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", "be0994a"], check=False).returncode != 0:
        missing("the benchmark's base commit is not in this clone's history")
    out = quick_bench("hostile_bench", timeout=900)
    assert "| Duet before the checks" in out and "| Duet now |" in out
    # the state-vector bomb: answered with 4400 by both, and now the node's memory does not move
    bombs = [line for line in out.splitlines() if line.startswith("| 6 sync step 1s")]
    assert len(bombs) == 2 and all("closed 4400" in line for line in bombs), bombs
    now_memory = float(bombs[1].split("|")[5])
    assert now_memory < 64, bombs[1]
    assert "**3. Revocation.**" in out
