"""The live sync benchmark's quick mode runs end to end against Duet and both anchors, so the
harness cannot rot: every server reports latencies with nothing lost, saturation compares achieved
rates, and the join and join-storm workloads work."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.prerequisites import missing

pytestmark = [pytest.mark.slow, pytest.mark.node]

ROOT = Path(__file__).resolve().parents[2]


def quick_run(*parts: str) -> subprocess.CompletedProcess[str]:
    """``bench.sync_bench --quick``, of ``parts`` if any; fails the test unless it succeeds."""
    if not (ROOT / "bench" / "sync" / "node_modules" / ".installed").exists() or not shutil.which("taskset"):
        missing("the benchmark's Node packages are not installed (make bench-deps)")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.sync_bench",
            "--quick",
            *(("--parts", ",".join(parts)) if parts else ()),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_quick_sync_benchmark_measures_every_server() -> None:
    before = (ROOT / "docs" / "benchmarks.md").read_text()
    result = quick_run()
    rows = re.findall(
        r"^\| 5 \| (.+?) \| ([\d.]+) \| ([\d.]+) \| [\d.]+–[\d.]+ \| 0 of (\d+) \|",
        result.stdout,
        re.MULTILINE,
    )
    assert {name.split()[0] for name, *_ in rows} == {"Duet", "@y/websocket-server", "Hocuspocus"}
    assert all(int(expected) > 0 for *_, expected in rows)
    assert "**4. Join a 1 MB document**" in result.stdout
    assert "highest achieved updates/s" in result.stdout
    # every client of the storm synced, on every server
    storm = re.findall(
        r"^\| (\S+).*? \| (\d+) \| \d+–\d+ \| \d+ \| \d+ \| [\d.]+ \|$", result.stdout, re.MULTILINE
    )
    assert {name for name, _ in storm} == {"Duet", "@y/websocket-server", "Hocuspocus"}, result.stdout
    assert "join storm: 40 clients all synced" in result.stdout
    assert (ROOT / "docs" / "benchmarks.md").read_text() == before  # quick mode never writes the page


def test_quick_recording_comparison_runs_both_duets() -> None:
    """Full recording against edits only: both record, and full records more (cursors, joins)."""
    result = quick_run("recording")
    rows = dict(
        re.findall(
            r"^\| (full|edits only) \| [\d.]+ \| [\d.]+ \| [^|]+ \| 0 of \d+ \| \d+ \| ([\d,]+) \|$",
            result.stdout,
            re.MULTILINE,
        )
    )
    assert rows.keys() == {"full", "edits only"}, result.stdout
    full, edits = (int(rows[k].replace(",", "")) for k in ("full", "edits only"))
    assert full > edits > 0, result.stdout
    assert "with full recording ≤ 1.10 × without" in result.stdout
