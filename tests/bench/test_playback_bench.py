"""The playback benchmark's quick mode runs end to end on both databases, so the harness cannot rot."""

from __future__ import annotations

import pytest

from tests.support.bench_smoke import quick_bench
from tests.support.databases import postgres_admin_url

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_quick_playback_benchmark_reports_both_databases() -> None:
    postgres_admin_url()  # PostgreSQL is a prerequisite (missing() when it is not configured)
    out = quick_bench("playback_bench", "--postgres")
    rows = [line for line in out.splitlines() if "(2,001) |" in line]
    assert [row.split("|")[1].strip() for row in rows] == ["SQLite", "PostgreSQL"], out
    # each row gives its verdict (speed is the benchmark's to judge, never a test's: CI shares its machine)
    assert all("timeline < 300 ms:" in row and "state p99 < 50 ms:" in row for row in rows), out
    assert "the seek points take" in out
    assert "markers" in out
