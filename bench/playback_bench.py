"""Playback benchmark: a generated two-hour session (3 participants, 50,000 document updates made
by real pycrdt edits, their cursor states, runs, chat, pastes), stored through the event log;
then the seek points built, the timeline loaded and the state at random moments reconstructed.

    .venv/bin/python -m bench.playback_bench                 # full run, rewrites docs/benchmarks.md
    .venv/bin/python -m bench.playback_bench --quick         # small run, prints only (the smoke test)
    .venv/bin/python -m bench.playback_bench --postgres      # PostgreSQL too (DUET_TEST_DATABASE_URL)

Times are server time: the playback service's own calls in this process (the queries, pycrdt,
the JSON-ready models), without HTTP. Targets: timeline under 300 ms, state at a random moment
p99 under 50 ms over at least 1000 moments. A percentile is reported over at least 100 samples;
below that the column says max.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from bench.report import machine_line, replace_section
from server.recording.events import now_ms
from server.settings import Settings
from server.web.services import running_services
from tests.support.databases import fresh_postgres
from tests.support.recorded_session import record_session

HOURS_MS = 2 * 3600 * 1000
PAUSES = 8
PAUSE_MS = 4 * 60 * 1000


@dataclass
class Samples:
    ms: list[float] = field(default_factory=list)

    def p(self, q: float) -> float:
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    def tail(self) -> str:
        return f"{self.p(0.99):.1f}" if len(self.ms) >= 100 else f"{max(self.ms):.1f} (max)"


@dataclass
class Result:
    database: str
    events: int
    updates: int
    points: int
    build_s: float
    timeline: Samples
    state: Samples
    state_kb: float
    markers: int
    points_mb: float


async def timed(n: int, action: Callable[[], Awaitable[object]]) -> Samples:
    samples = Samples()
    for _ in range(n):
        start = time.perf_counter()
        await action()
        samples.ms.append((time.perf_counter() - start) * 1000)
    return samples


@asynccontextmanager
async def database(kind: str, tmp: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'duet.db'}"
    else:
        async with fresh_postgres() as url:
            yield url


async def measure(kind: str, updates: int, moments: int, loads: int) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        async with database(kind, Path(tmp)) as url:
            settings = Settings(
                secret_key="bench-" + "x" * 40, var_dir=Path(tmp), database_url=url, sandbox="bwrap"
            )
            async with running_services(settings) as svc:
                org = await svc.accounts.default_organization()
                session, _ = await svc.sessions.create(
                    org_id=org.id, title="bench", language="python", created_by=None
                )
                start_ms = now_ms() - HOURS_MS - 3600 * 1000  # long past the seek points' margin
                pause = PAUSE_MS if updates >= 10_000 else 0
                recorded = record_session(
                    session.id,
                    participants=3,
                    updates=updates,
                    start_ms=start_ms,
                    duration_ms=HOURS_MS - PAUSES * pause,
                    idle_every=updates // (PAUSES + 1),
                    idle_ms=pause,
                    seed=14,
                )
                for at in range(0, len(recorded.events), 2000):
                    await svc.recording.append(recorded.events[at : at + 2000])
                end_ms = max(e.ts_ms for e in recorded.events)
                session = await svc.sessions.end(session.id, org_id=org.id)
                began = time.perf_counter()
                points = await svc.playback.seek.extend(session.id, ended_ms=end_ms)
                build_s = time.perf_counter() - began
                timeline = await svc.playback.timeline(session)
                rng = random.Random(14)
                await timed(20, lambda: svc.playback.state(session, rng.randint(start_ms, end_ms)))  # warm-up
                timelines = await timed(loads, lambda: svc.playback.timeline(session))
                states = await timed(
                    moments, lambda: svc.playback.state(session, rng.randint(start_ms, end_ms))
                )
                sample = await svc.playback.state(session, end_ms)
                (stored,) = await svc.db.fetch(
                    "SELECT sum(length(state)) FROM recording_snapshots WHERE session_id = ?", [session.id]
                )
                return Result(
                    database="SQLite" if kind == "sqlite" else "PostgreSQL",
                    events=len(recorded.events),
                    updates=updates + 1,
                    points=points,
                    build_s=build_s,
                    timeline=timelines,
                    state=states,
                    state_kb=len(sample.model_dump_json()) / 1024,
                    markers=len(timeline.markers),
                    points_mb=int(stored[0] or 0) / 1e6,
                )


def render(results: list[Result], moments: int, loads: int) -> str:
    lines = [
        f"A generated two-hour session, 3 participants; timeline loaded {loads} times, the state at"
        f" {moments} random moments (server time, in process, no HTTP).",
        "",
        "| Database | events (updates) | seek points, built in | timeline p50 / max"
        " | state p50 | state p99 | targets |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        timeline_met = max(r.timeline.ms) < 300
        state_met = r.state.p(0.99) < 50
        enough = "" if len(r.state.ms) >= 1000 else " (too few samples)"
        verdict = (
            f"timeline < 300 ms: {'met' if timeline_met else '**missed**'};"
            f" state p99 < 50 ms: {'met' if state_met else '**missed**'}{enough}"
        )
        lines.append(
            f"| {r.database} | {r.events:,} ({r.updates:,}) | {r.points}, {r.build_s:.1f} s"
            f" | {r.timeline.p(0.5):.1f} / {max(r.timeline.ms):.1f} ms | {r.state.p(0.5):.1f} ms"
            f" | {r.state.tail()} ms | {verdict} |"
        )
    r = results[0]
    lines += [
        "",
        f"The state at the end is {r.state_kb:.0f} KB of JSON; the timeline holds {r.markers} markers;"
        f" the seek points take {r.points_mb:.0f} MB.",
    ]
    return "\n".join(lines)


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small session; print, do not write the docs")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL as well (DUET_TEST_DATABASE_URL)")
    args = parser.parse_args(argv)
    updates, moments, loads = (2_000, 60, 5) if args.quick else (50_000, 1_000, 30)
    machine = machine_line()
    kinds = ["sqlite", "postgres"] if args.postgres else ["sqlite"]
    results = [await measure(kind, updates, moments, loads) for kind in kinds]
    command = "make bench-playback  # .venv/bin/python -m bench.playback_bench --postgres"
    section = f"Command: `{command}`  \nMachine: {machine}\n\n{render(results, moments, loads)}"
    print(section)
    if not args.quick:
        replace_section(Path("docs/benchmarks.md"), "playback", section)
    return 0


if __name__ == "__main__":
    sys.exit(anyio.run(main, sys.argv[1:]))
