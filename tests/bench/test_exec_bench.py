"""The code execution benchmark's quick mode runs end to end, so the harness cannot rot."""

from __future__ import annotations

import anyio
import pytest

from server.exec.engines.docker import engine as docker_engine
from tests.support.bench_smoke import quick_bench
from tests.support.prerequisites import missing

pytestmark = [pytest.mark.slow, pytest.mark.bwrap, pytest.mark.docker]


def test_quick_exec_benchmark_reports_every_row() -> None:
    reason = anyio.run(docker_engine.probe)
    if reason is not None:
        missing(f"docker: {reason}")
    out = quick_bench("exec_bench")
    rows = ("| Duet `bwrap` |", "| Duet `docker` (crun) |", "| Duet `docker` (runc) |", "runs/s")
    for row in (*rows, "every run checked: 10 passed"):
        assert row in out
