"""The audio/video benchmark's quick mode runs end to end, so the harness cannot rot."""

from __future__ import annotations

import pytest

from tests.support.bench_smoke import quick_bench

pytestmark = [pytest.mark.slow]


def test_quick_media_benchmark_reports_every_row() -> None:
    out = quick_bench("media_bench")
    for row in (
        "| Duet (`duet serve`, encoded frames forwarded) |",
        "| aiortc `MediaRelay` (decode, then encode for the receiver) |",
        "**Added end-to-end latency**",
        "| 1 |",
    ):
        assert row in out
