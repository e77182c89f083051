"""The scoring benchmark's quick mode runs end to end (bare loop and bwrap), so it cannot rot."""

from __future__ import annotations

import pytest

from tests.support.bench_smoke import quick_bench

pytestmark = [pytest.mark.slow, pytest.mark.bwrap]


def test_quick_scoring_benchmark_reports_both_rows() -> None:
    out = quick_bench("scoring_bench", "--engines", "bwrap")
    for row in ("| bare `/usr/bin/python3 -m pytest` on the host |", "| `bwrap` |", "share of bare"):
        assert row in out
