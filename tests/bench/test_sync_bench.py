"""The live sync benchmark's quick mode runs end to end against Duet and both anchors, so the
harness cannot rot: every server reports latencies with nothing lost, saturation compares achieved
rates, and the join and join-storm workloads work."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.support.bench_smoke import quick_bench
from tests.support.prerequisites import missing

pytestmark = [pytest.mark.slow, pytest.mark.node]

ROOT = Path(__file__).resolve().parents[2]


def quick_run(*parts: str) -> str:
    """``bench.sync_bench --quick``, of ``parts`` if any: its stdout."""
    if not (ROOT / "bench" / "sync" / "node_modules" / ".installed").exists() or not shutil.which("taskset"):
        missing("the benchmark's Node packages are not installed (make bench-deps)")
    return quick_bench("sync_bench", *(("--parts", ",".join(parts)) if parts else ()), timeout=900)


def test_quick_sync_benchmark_measures_every_server() -> None:
    out = quick_run()
    rows = re.findall(
        r"^\| 5 \| (.+?) \| ([\d.]+) \| ([\d.]+) \| [\d.]+–[\d.]+ \| 0 of (\d+) \|",
        out,
        re.MULTILINE,
    )
    assert {name.split()[0] for name, *_ in rows} == {"Duet", "@y/websocket-server", "Hocuspocus"}
    assert all(int(expected) > 0 for *_, expected in rows)
    assert "**4. Join a 1 MB document**" in out
    assert "highest achieved updates/s" in out
    # every client of the storm synced, on every server
    storm = re.findall(r"^\| (\S+).*? \| (\d+) \| \d+–\d+ \| \d+ \| \d+ \| [\d.]+ \|$", out, re.MULTILINE)
    assert {name for name, _ in storm} == {"Duet", "@y/websocket-server", "Hocuspocus"}, out
    assert "join storm: 40 clients all synced" in out


def test_quick_recording_comparison_runs_both_duets() -> None:
    """Full recording against edits only: both record, and full records more (cursors, joins)."""
    out = quick_run("recording")
    rows = dict(
        re.findall(
            r"^\| (full|edits only) \| [\d.]+ \| [\d.]+ \| [^|]+ \| 0 of \d+ \| \d+ \| ([\d,]+) \|$",
            out,
            re.MULTILINE,
        )
    )
    assert rows.keys() == {"full", "edits only"}, out
    full, edits = (int(rows[k].replace(",", "")) for k in ("full", "edits only"))
    assert full > edits > 0, out
    assert "with full recording ≤ 1.10 × without" in out
