"""The chaos run's quick mode end to end: its own PostgreSQL, Redis and HAProxy, three nodes and
two workers; one node killed, Redis restarted, PostgreSQL paused, with typists and Runs going on.
So the harness cannot rot, and what it checks keeps holding: no acknowledged edit lost, no run
hung, every node healthy and able to run code afterwards."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.chaos import postgres_bin
from server.exec.engines.bwrap import engine as bwrap_engine
from tests.support.prerequisites import missing

pytestmark = [pytest.mark.slow, pytest.mark.node, pytest.mark.bwrap, pytest.mark.redis, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]


def test_quick_chaos_run_loses_no_acknowledged_edit_and_hangs_no_run(tmp_path: Path) -> None:
    if not (ROOT / "bench" / "sync" / "node_modules" / ".installed").exists():
        missing("the benchmark's Node packages are not installed (make bench-deps)")
    for tool in ("haproxy", "redis-server"):
        if shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin") is None:
            missing(f"{tool} is not installed (make chaos-packages)")
    try:
        postgres_bin("initdb")
    except SystemExit as exc:
        missing(str(exc))
    reason = bwrap_engine.probe()
    if reason is not None:
        missing(reason)
    before = (ROOT / "docs" / "reliability.md").read_text()
    summary = tmp_path / "summary.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench.chaos", "--quick", "--json", str(summary)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    found = json.loads(summary.read_text())
    assert found["failures"] == []
    assert found["lost"] == 0 and found["runs_hung"] == 0 and found["runs_watched_hung"] == 0
    # it did something: edits acknowledged, runs finished, the kill felt by clients that came back
    assert found["acknowledged"] > 0 and found["runs_finished_ok"] > 0 and found["reconnects"] > 0
    assert found["final_runs"] == ["ok", "ok", "ok"]
    assert "| **acknowledged edits lost**" in result.stdout
    assert (ROOT / "docs" / "reliability.md").read_text() == before  # quick mode never writes the page
