"""Live sync benchmark: Duet against @y/websocket-server (yjs 13) and Hocuspocus, same load, same
machine, same run, driven by real Yjs clients in Node (bench/sync/load.mjs).

    .venv/bin/python -m bench.sync_bench            # full run (about an hour), rewrites docs/benchmarks.md
    .venv/bin/python -m bench.sync_bench --quick    # small run, prints only (the smoke test)
    .venv/bin/python -m bench.sync_bench --parts storm --quick   # some parts only, prints only
    .venv/bin/python -m bench.sync_bench --parts recording       # what recording costs: its own section

The server under test is pinned to CPU 0 and the load generators to CPU 1 (`taskset`), so the
two do not steal each other's core. Server CPU comes from /proc/<pid>/stat, memory is its RSS.
Every run gets a fresh server process. Duet runs on its embedded default (SQLite): an accepted
update is sent to the room's other clients at once, queued for the event log, and echoed to its
author (the acknowledgement) once its transaction has committed (docs/sync.md, "Durability");
the anchors keep documents in memory only (they too send each update back to its author).

A percentile is only reported over enough samples to mean it: a p99 over at least 100 (below
that the table shows "—"), and where a workload takes fewer samples (joins) it reports the
median and the maximum.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from bench.report import machine_line, replace_section
from server.accounts.models import OrgRole
from server.sessions.roles import Role
from server.settings import Settings
from server.web.services import running_services
from tests.support.live_server import LIVE_SECRET, live_server

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE / "sync"
SERVER_CPU, LOAD_CPU = "0", "1"
NAMES = {
    "duet": "Duet",
    "yws": "@y/websocket-server 0.1.1",
    "hocus": "Hocuspocus 4.7.0",
    "duet-edits": "Duet, presence not recorded",
}
GRACE_SECONDS = 2.0  # Duet's room unload grace for the memory workload (default 30 s)
WARMUP_SECONDS = 2.0  # the first keystrokes count for loss, not latency (see load.mjs)
STORM_TIMEOUT = 60.0  # a join-storm client not synced by then counts as never synced
P99_LIMIT_MS = 100.0  # saturation: the highest rate whose p99 stays at or under this, nothing lost
#: Saturation steps: keystrokes/s per typist (x 2 typists x the rooms = the offered aggregate rate)
SAT_STEPS = [5.0, 10.0, 15.0, 20.0, 22.5, 25.0, 27.5, 30.0, 32.5, 35.0, 37.5, 40.0, 45.0]
PARTS = ("load", "saturation", "idle", "join", "storm")
#: Duet with full recording against Duet recording only what the pad needs (its own section).
RECORDING = "recording"
RECORDING_LIMIT = 1.10  # full recording's p99 at most 10 % above the other's


@dataclass
class Room:
    name: str
    tokens: list[str] = field(default_factory=list)


@dataclass
class Target:
    kind: str
    base: str
    pid: int
    database: Path | None = None  # Duet's SQLite file

    def events_recorded(self) -> int:
        """Rows in Duet's event log (0 for the anchors, which record nothing)."""
        if self.database is None:
            return 0
        with closing(sqlite3.connect(self.database)) as db:
            return int(db.execute("SELECT count(*) FROM session_events").fetchone()[0])

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_port(port: int, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    raise RuntimeError(f"nothing listens on {port}")


# ---- servers -----------------------------------------------------------------------------------


async def provision(settings: Settings, rooms: int, people: int, *, interviewer: bool = False) -> list[Room]:
    """Sessions with ``people`` participants each. By default typists are candidates and a third
    is an observer; with ``interviewer``, the first is an interviewer (one member, signed in
    once, entered into every session: a member's pad token), the second a candidate, the others
    observers."""
    made: list[Room] = []
    async with running_services(settings) as svc:
        org = await svc.accounts.default_organization()
        login_id = user_id = ""
        if interviewer:
            user = await svc.accounts.create_user(
                org_id=org.id, email="bench@example.com", password="a long password", role=OrgRole.INTERVIEWER
            )
            principal, _ = await svc.accounts.login(user.email, "a long password")
            user_id, login_id = user.id, principal.login_id or ""
        for i in range(rooms):
            session, issued = await svc.sessions.create(
                org_id=org.id, title=f"bench {i}", language="python", created_by=None
            )
            links = {link.link.role: link.token for link in issued}
            room = Room(session.id)
            for p in range(people):
                if interviewer and p == 0:
                    entered = await svc.sessions.admit_member(
                        session, user_id=user_id, display_name="interviewer", role=Role.INTERVIEWER
                    )
                    room.tokens.append(svc.sessions.member_token(entered.participant, login_id))
                    continue
                observer = p >= 2 if interviewer else p == 2
                role = Role.OBSERVER if observer else Role.CANDIDATE
                room.tokens.append((await svc.sessions.join(links[role], display_name=f"p{p}")).token)
            made.append(room)
    return made


@asynccontextmanager
async def server(
    kind: str, rooms: int, people: int, *, interviewer: bool = False
) -> AsyncIterator[tuple[Target, list[Room]]]:
    if kind in ("duet", "duet-edits"):
        with tempfile.TemporaryDirectory(prefix="duet-sync-bench-") as tmp:
            var = Path(tmp)
            database = f"sqlite:///{var / 'duet.db'}"
            # the server's own secret: members' pad tokens are MACs it checks
            settings = Settings(secret_key=LIVE_SECRET, var_dir=var, database_url=database, sandbox="bwrap")
            made = await provision(settings, rooms, people, interviewer=interviewer)
            extra = {
                "DUET_SYNC_ROOM_GRACE_SECONDS": str(GRACE_SECONDS),
                "DUET_SANDBOX": "bwrap",
                # every load client connects from 127.0.0.1: hundreds of sockets from one address
                "DUET_MAX_CONNECTIONS_PER_ADDRESS": "0",
                "DUET_RECORD_PRESENCE": "false" if kind == "duet-edits" else "true",
            }
            with pinned(SERVER_CPU), live_server(var, database, extra_env=extra) as live:
                yield Target("duet", live.ws_url, live.process.pid, var / "duet.db"), made
        return
    port = free_port()
    script = (
        NODE_DIR / "node_modules" / "@y" / "websocket-server" / "src" / "server.js"
        if kind == "yws"
        else NODE_DIR / "hocuspocus.mjs"
    )
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port)}
    process = await asyncio.create_subprocess_exec(
        "taskset", "-c", SERVER_CPU, "node", str(script), cwd=NODE_DIR, env=env, stdout=subprocess.DEVNULL
    )
    try:
        await wait_port(port)
        anchor_rooms = [Room(f"room-{i}", ["", "", ""]) for i in range(rooms)]
        yield Target(kind, f"ws://127.0.0.1:{port}", process.pid), anchor_rooms
    finally:
        process.terminate()
        await process.wait()


@contextmanager
def pinned(cpu: str) -> Iterator[None]:
    """Processes started inside inherit this CPU affinity (the runner's own is restored after)."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {int(cpu)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


# ---- load --------------------------------------------------------------------------------------


def load_command(target: Target, mode: str, rooms: list[Room], **options: Any) -> list[str]:
    config = {"server": target.kind, "base": target.base, "mode": mode, **options}
    config["rooms"] = [{"name": r.name, "tokens": r.tokens} for r in rooms]
    return ["taskset", "-c", LOAD_CPU, "node", str(NODE_DIR / "load.mjs"), json.dumps(config)]


async def generate(target: Target, mode: str, rooms: list[Room], **options: Any) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        *load_command(target, mode, rooms, **options),
        cwd=NODE_DIR,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"load generator failed ({target.kind}, {mode}): {err.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def interview(kind: str, rooms: int, rate: float, seconds: float) -> dict[str, Any]:
    async with server(kind, rooms, 3) as (target, made):
        cpu0, t0 = target.cpu_seconds(), time.monotonic()
        result = await generate(
            target,
            "interview",
            made,
            rate=rate,
            seconds=seconds,
            settleSeconds=5,
            warmupSeconds=WARMUP_SECONDS,
        )
        result["cpu_percent"] = 100 * (target.cpu_seconds() - cpu0) / (time.monotonic() - t0)
        result["rss_mb"] = target.rss_mb()
        result["events"] = target.events_recorded()
    return result


async def interview_repeated(
    kinds: list[str], rooms: int, seconds: float, repeats: int
) -> dict[str, dict[str, Any]]:
    """``repeats`` runs per server, interleaved (a drift of the machine hits every server alike);
    each figure is the median over the runs, lost is their sum, and the p99 range is kept."""
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    for _ in range(repeats):
        for kind in kinds:
            runs[kind].append(await interview(kind, rooms, 5.0, seconds))
    merged = {}
    for kind, results in runs.items():
        p99s = [r["p99"] for r in results if r["p99"] is not None]
        merged[kind] = {
            "p50": _median([r["p50"] for r in results if r["p50"] is not None]),
            "p99": _median(p99s),
            "p99_range": (min(p99s), max(p99s)) if p99s else None,
            "samples": min(r["samples"] for r in results),
            "lost": sum(r["lost"] for r in results),
            "expected": sum(r["expected"] for r in results),
            "cpu_percent": _median([r["cpu_percent"] for r in results]),
            "rss_mb": _median([r["rss_mb"] for r in results]),
            "events": _median([r["events"] for r in results]),
        }
    return merged


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


class SaturationStep(NamedTuple):
    offered: float  # aggregate keystrokes/s the typists were told to type
    achieved: float | None  # what they did type per second (median over the runs)
    p99: float | None  # ms, median over the runs
    p99_range: tuple[float, float] | None
    lost: int  # summed over the runs
    ok: bool  # every run's keystrokes all arrived, and the median p99 <= P99_LIMIT_MS


@dataclass
class Saturation:
    steps: list[SaturationStep]

    @property
    def passed(self) -> list[SaturationStep]:
        """The steps passed before the first one that failed."""
        passed = []
        for step in self.steps:
            if not step.ok:
                break
            passed.append(step)
        return passed

    @property
    def best(self) -> float:
        """The highest achieved rate of a passed step (0 if none passed)."""
        return max((step.achieved or 0.0 for step in self.passed), default=0.0)

    @property
    def failed(self) -> bool:
        """A step failed: ``best`` is the server's limit, not the last step's (the generator's)."""
        return len(self.passed) < len(self.steps) or not self.steps


async def saturation(
    kinds: list[str], rooms: int, rates: list[float], seconds: float, repeats: int
) -> dict[str, Saturation]:
    """The typing rate raised step by step; at each step ``repeats`` runs per server, taken in
    turns. A server stops at its first failed step."""
    results = {kind: Saturation([]) for kind in kinds}
    for rate in rates:
        running = [k for k in kinds if all(step.ok for step in results[k].steps)]
        if not running:
            break
        runs: dict[str, list[dict[str, Any]]] = {k: [] for k in running}
        for _ in range(repeats):
            for kind in running:
                runs[kind].append(await interview(kind, rooms, rate, seconds))
        for kind, done in runs.items():
            p99s = [r["p99"] for r in done if r["p99"] is not None]
            p99 = _median(p99s)
            lost = sum(r["lost"] for r in done)
            ok = lost == 0 and len(p99s) == len(done) and p99 is not None and p99 <= P99_LIMIT_MS
            results[kind].steps.append(
                SaturationStep(
                    rate * 2 * rooms,
                    _median([r["rate"] for r in done]),
                    p99,
                    (min(p99s), max(p99s)) if p99s else None,
                    lost,
                    ok,
                )
            )
    return results


async def idle_memory(kind: str, rooms: int, seed_bytes: int) -> dict[str, float]:
    async with server(kind, rooms, 1) as (target, made):
        await asyncio.sleep(1)
        before = target.rss_mb()
        process = await asyncio.create_subprocess_exec(
            *load_command(target, "idle", made, seedBytes=seed_bytes),
            cwd=NODE_DIR,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdin is not None and process.stdout is not None
        ready = json.loads(await asyncio.wait_for(process.stdout.readline(), 300))
        assert ready.get("ready"), ready
        await asyncio.sleep(2)
        loaded = target.rss_mb()
        process.stdin.write(b"leave\n")
        await process.stdin.drain()
        await process.wait()
        await asyncio.sleep(GRACE_SECONDS + 8)  # Duet unloads after the grace; the anchors at once
        after = target.rss_mb()
    return {"before": before, "loaded": loaded, "after": after, "per_room": (loaded - before) / rooms}


async def join_time(kind: str, seed_bytes: int, joins: int) -> dict[str, Any]:
    async with server(kind, 1, 2) as (target, made):
        return await generate(target, "join", made, seedBytes=seed_bytes, joins=joins)


async def join_storm(kind: str, rooms: int, per_room: int) -> dict[str, Any]:
    """Every client of ``rooms`` rooms connects at once to a fresh server (no room loaded yet)."""
    async with server(kind, rooms, per_room, interviewer=True) as (target, made):
        await asyncio.sleep(1)  # the server has settled after its start
        cpu0 = target.cpu_seconds()
        result = await generate(target, "storm", made, perRoom=per_room, timeoutSeconds=STORM_TIMEOUT)
        result["cpu_seconds"] = target.cpu_seconds() - cpu0
    return result


async def join_storms(kinds: list[str], rooms: int, per_room: int, repeats: int) -> dict[str, dict[str, Any]]:
    """``repeats`` storms per server, taken in turns, each against a fresh server: the median
    (and range) of the time until the last client synced, the median client's time, and the
    server's CPU time over the run."""
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    for _ in range(repeats):
        for kind in kinds:
            runs[kind].append(await join_storm(kind, rooms, per_room))
    merged = {}
    for kind, results in runs.items():
        alls = [r["all"] for r in results if r["all"] is not None]
        merged[kind] = {
            "clients": results[0]["clients"],
            "runs": len(results),
            "complete": len(alls),  # runs in which every client synced within STORM_TIMEOUT
            "all": _median(alls) if len(alls) == len(results) else None,
            "range": (min(alls), max(alls)) if alls else None,
            "median": _median([r["median"] for r in results if r["median"] is not None]),
            "closes": sum(r["closes"] for r in results),
            "cpu_seconds": _median([r["cpu_seconds"] for r in results]),
        }
    return merged


# ---- report ------------------------------------------------------------------------------------


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


@dataclass(frozen=True)
class Shape:
    """How much of each workload a run does."""

    sizes: list[int]  # interview load: rooms
    seconds: float  # per interview-load run
    repeats: int  # interview-load runs per server and size
    sat_rooms: int
    sat_rates: list[float]
    sat_seconds: float
    sat_repeats: int
    idle_rooms: int
    joins: int
    storm_rooms: int
    storm_per_room: int
    storm_repeats: int
    recording_rooms: int
    recording_repeats: int


FULL = Shape([10, 50, 100, 200], 20.0, 3, 50, SAT_STEPS, 10.0, 3, 200, 20, 250, 4, 5, 100, 7)
QUICK = Shape([5], 4.0, 1, 5, [5.0], 4.0, 1, 20, 3, 10, 4, 1, 5, 1)


async def run(shape: Shape, parts: tuple[str, ...]) -> str:
    kinds = ["duet", "yws", "hocus"]
    lines: list[str] = []
    load: dict[tuple[str, int], dict[str, Any]] = {}
    if "load" in parts:
        for r in shape.sizes:
            for k, merged in (await interview_repeated(kinds, r, shape.seconds, shape.repeats)).items():
                load[(k, r)] = merged
        lines += _load_table(shape, kinds, load)
    sat: dict[str, Saturation] = {}
    if "saturation" in parts:
        sat = await saturation(kinds, shape.sat_rooms, shape.sat_rates, shape.sat_seconds, shape.sat_repeats)
        lines += _saturation_tables(shape, kinds, sat)
    idle: dict[str, dict[str, float]] = {}
    if "idle" in parts:
        idle = {k: await idle_memory(k, shape.idle_rooms, 1024) for k in kinds}
        lines += _idle_table(shape, kinds, idle)
    if "join" in parts:
        join = {k: await join_time(k, 1024 * 1024, shape.joins) for k in kinds}
        lines += [
            "",
            "**4. Join a 1 MB document** — a fresh client connects to a loaded room and has the full"
            f" text; {shape.joins} joins one after another per server (too few for a p99: the"
            " median and the slowest):",
            "",
            "| server | median ms | max ms |",
            "|---|---|---|",
        ]
        lines += [f"| {NAMES[k]} | {ms(join[k]['median'])} | {ms(join[k]['max'])} |" for k in kinds]
    storm: dict[str, dict[str, Any]] = {}
    if "storm" in parts:
        storm = await join_storms(kinds, shape.storm_rooms, shape.storm_per_room, shape.storm_repeats)
        lines += _storm_table(shape, kinds, storm)
    lines += _targets(shape, load, sat, idle, storm)
    if RECORDING in parts:
        lines += await _recording(shape)
    return "\n".join(lines)


async def _recording(shape: Shape) -> list[str]:
    """The interview load against Duet recording everything and Duet recording only what the
    pad needs (DUET_RECORD_PRESENCE=false: no cursors, joins or leaves), in turns."""
    kinds = ["duet", "duet-edits"]
    rooms, repeats = shape.recording_rooms, shape.recording_repeats
    merged = await interview_repeated(kinds, rooms, shape.seconds, repeats)
    lines = [
        f"**Recording on and off** — the interview load (R = {rooms} rooms × (2 typists at 5"
        f" keystrokes/s, each moving its cursor, + 1 viewer), {shape.seconds:.0f} s per run,"
        f" {_runs(repeats)} per server taken in turns, each on a fresh server) against Duet with full"
        " recording (every edit, cursors and selections at most every 250 ms per participant, joins"
        " and leaves) and Duet recording only what the pad needs (`DUET_RECORD_PRESENCE=false`: the"
        " edits). Edits are recorded in both: they are how Duet keeps documents (docs/sync.md). p50"
        " and p99 are each run's percentiles over its measured arrivals, then the median over the"
        " runs; the range is the runs' lowest and highest p99.",
        "",
        "| recording | p50 ms | p99 ms | p99 range ms | lost | server CPU % | events recorded per run |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in kinds:
        x = merged[kind]
        spread = "—" if x["p99_range"] is None else f"{x['p99_range'][0]:.1f}–{x['p99_range'][1]:.1f}"
        label = "full" if kind == "duet" else "edits only"
        lines.append(
            f"| {label} | {ms(x['p50'])} | {ms(x['p99'])} | {spread} | {x['lost']} of {x['expected']}"
            f" | {x['cpu_percent']:.0f} | {x['events']:,.0f} |"
        )
    full, edits = merged["duet"]["p99"], merged["duet-edits"]["p99"]
    if full is None or edits is None:
        verdict, ratio = "not decided: too few samples for a p99", "—"
    else:
        verdict = "met" if full <= RECORDING_LIMIT * edits else "**missed**"
        ratio = f"{full / edits:.2f}×"
    return [
        *lines,
        "",
        "| target | full | edits only | ratio | |",
        "|---|---|---|---|---|",
        f"| p99 at R = {rooms} with full recording ≤ 1.10 × without | {ms(full)} ms | {ms(edits)} ms"
        f" | {ratio} | {verdict} |",
    ]


def _runs(n: int) -> str:
    return f"{n} run" if n == 1 else f"{n} runs"


def _load_table(shape: Shape, kinds: list[str], load: dict[tuple[str, int], dict[str, Any]]) -> list[str]:
    fewest = min(x["samples"] for x in load.values())
    lines = [
        f"**1. Interview load** — R rooms × (2 typists at 5 keystrokes/s, each moving its cursor, + 1"
        f" viewer), {shape.seconds:.0f} s per run, {_runs(shape.repeats)} per server taken in turns;"
        " latency = a typist's insert → its arrival at each other client of the room, after the"
        f" first {WARMUP_SECONDS:.0f} s of typing (every keystroke counts for loss). p50 and p99"
        f" are each run's percentiles over all its measured arrivals (at least {fewest:,} in every"
        " run here), then the median over the runs; the range is the runs' lowest and highest p99;"
        " lost is summed over the runs.",
        "",
        "| R | server | p50 ms | p99 ms | p99 range ms | lost | server CPU % | server RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in shape.sizes:
        for k in kinds:
            x = load[(k, r)]
            spread = "—" if x["p99_range"] is None else f"{x['p99_range'][0]:.1f}–{x['p99_range'][1]:.1f}"
            lines.append(
                f"| {r} | {NAMES[k]} | {ms(x['p50'])} | {ms(x['p99'])} | {spread}"
                f" | {x['lost']} of {x['expected']} | {x['cpu_percent']:.0f} | {x['rss_mb']:.0f} |"
            )
    return lines


def _saturation_tables(shape: Shape, kinds: list[str], sat: dict[str, Saturation]) -> list[str]:
    limit = f"{P99_LIMIT_MS:.0f}"
    lines = [
        "",
        f"**2. Saturation** — {shape.sat_rooms} rooms of the same shape, the typing rate raised step"
        f" by step; at each step {_runs(shape.sat_repeats)} of {shape.sat_seconds:.0f} s per server,"
        " taken in turns. *Offered* is the aggregate rate the typists were told to type, *achieved*"
        " what they did type per second (the load generator falls behind the offered rate near its"
        " own ceiling, and by different amounts against different servers); p99 and achieved are"
        " medians over the runs, lost is summed. A step passes when nothing is lost and the median"
        f" p99 is ≤ {limit} ms; a server stops at its first failed step (✗).",
        "",
        "| offered/s | " + " | ".join(f"{NAMES[k]}: achieved/s, p99 ms (range), lost" for k in kinds) + " |",
        "|---" * (len(kinds) + 1) + "|",
    ]
    offered = sorted({step.offered for k in kinds for step in sat[k].steps})
    for rate in offered:
        cells = []
        for k in kinds:
            step = next((x for x in sat[k].steps if x.offered == rate), None)
            if step is None:
                cells.append("")
                continue
            spread = "" if step.p99_range is None else f" ({step.p99_range[0]:.1f}–{step.p99_range[1]:.1f})"
            achieved = "—" if step.achieved is None else f"{step.achieved:.0f}"
            cells.append(f"{achieved}, {ms(step.p99)}{spread}, {step.lost}{'' if step.ok else ' ✗'}")
        lines.append(f"| {rate:.0f} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"The highest achieved rate of a passed step (p99 ≤ {limit} ms, nothing lost), compared"
        " across servers as achieved rates:",
        "",
        "| server | highest achieved updates/s | at offered/s | what ended the series |",
        "|---|---|---|---|",
    ]
    for k in kinds:
        passed, x = sat[k].passed, sat[k]
        at = f"{passed[-1].offered:.0f}" if passed else "—"
        if not x.failed:
            top = x.steps[-1]
            share = f"{(top.achieved or 0) / top.offered:.0%}"
            ended = (
                f"no step failed: the server's limit lies above the top step tried ({top.offered:.0f}"
                f" offered, of which the load generator achieved {share})"
            )
        else:
            first = x.steps[len(passed)]
            why = "lost keystrokes" if first.lost else f"p99 {ms(first.p99)} ms"
            ended = f"{first.offered:.0f} offered failed ({why})"
        best = f"{x.best:.0f}" if passed else "none passed"
        lines.append(f"| {NAMES[k]} | {best} | {at} | {ended} |")
    return lines


def _idle_table(shape: Shape, kinds: list[str], idle: dict[str, dict[str, float]]) -> list[str]:
    lines = [
        "",
        f"**3. Idle memory** — {shape.idle_rooms} rooms with a 1 KB document and one idle client"
        f" each; RSS before, with the rooms loaded, and {GRACE_SECONDS + 8:.0f} s after every client"
        f" left (Duet's unload grace set to {GRACE_SECONDS:.0f} s for the run); one run per server:",
        "",
        "| server | RSS before MB | loaded MB | per room MB | after leaving MB | returned MB |",
        "|---|---|---|---|---|---|",
    ]
    for k in kinds:
        m = idle[k]
        lines.append(
            f"| {NAMES[k]} | {m['before']:.1f} | {m['loaded']:.1f} | {m['per_room']:.3f} | {m['after']:.1f}"
            f" | {m['loaded'] - m['after']:.1f} |"
        )
    return lines


def _storm_table(shape: Shape, kinds: list[str], storm: dict[str, dict[str, Any]]) -> list[str]:
    clients = shape.storm_rooms * shape.storm_per_room
    lines = [
        "",
        f"**5. Join storm** — {clients:,} clients of {shape.storm_rooms} rooms ({shape.storm_per_room}"
        " per room: an interviewer with a member's pad token, a candidate, the others observers)"
        " open their sockets in the same instant against a fresh server with no room loaded"
        " (Duet checks every client's token and loads each room from SQLite; the anchors check"
        " nothing and start empty documents in memory); a client counts as synced when its"
        " provider reports"
        " its first sync (the server's sync step 2 received: it has the room's document)."
        f" {_runs(shape.storm_repeats)} per server, taken in turns, each on a fresh server; figures"
        f" are medians over the runs. A client not synced within {STORM_TIMEOUT:.0f} s fails its run.",
        "",
        "| server | all synced ms | range ms | median client ms | sockets closed before synced"
        " | server CPU s |",
        "|---|---|---|---|---|---|",
    ]
    for k in kinds:
        x = storm[k]
        spread = "—" if x["range"] is None else f"{x['range'][0]:.0f}–{x['range'][1]:.0f}"
        complete = "" if x["complete"] == x["runs"] else f" ({x['runs'] - x['complete']} runs incomplete)"
        median = "—" if x["median"] is None else f"{x['median']:.0f}"
        everyone = "—" if x["all"] is None else f"{x['all']:.0f}"
        lines.append(
            f"| {NAMES[k]} | {everyone}{complete} | {spread} | {median} | {x['closes']}"
            f" | {x['cpu_seconds']:.2f} |"
        )
    return lines


def _targets(
    shape: Shape,
    load: dict[tuple[str, int], dict[str, Any]],
    sat: dict[str, Saturation],
    idle: dict[str, dict[str, float]],
    storm: dict[str, dict[str, Any]],
) -> list[str]:
    rows = []
    if load:
        r100 = 100 if 100 in shape.sizes else shape.sizes[-1]
        anchor = min(load[(k, r100)]["p99"] or 1e9 for k in ("yws", "hocus"))
        duet = load[("duet", r100)]["p99"] or 1e9
        rows.append(
            f"| p99 at R = {r100} ≤ the better anchor's | {duet:.1f} ms | {anchor:.1f} ms"
            f" | {duet / anchor:.2f}× | {'met' if duet <= anchor else '**missed**'} |"
        )
    if sat:
        duet_sat, hocus = sat["duet"], sat["hocus"]
        if not duet_sat.best and not hocus.best:
            verdict = "not decided: neither passed a step"
        elif duet_sat.best >= hocus.best and hocus.failed:
            verdict = "met"
        elif duet_sat.best < hocus.best and duet_sat.failed:
            verdict = "**missed**"
        else:
            verdict = "not decided: the steps ran out before the limit that decides it"
        ratio = f"{duet_sat.best / hocus.best:.2f}×" if hocus.best else "—"
        rows.append(
            f"| saturation: highest achieved updates/s with p99 ≤ {P99_LIMIT_MS:.0f} ms, nothing lost,"
            f" ≥ Hocuspocus's | {duet_sat.best:.0f}/s | {hocus.best:.0f}/s | {ratio} | {verdict} |"
        )
    if idle:
        per_room = idle["duet"]["per_room"]
        rows.append(
            f"| idle room ≤ 0.1 MB | {per_room:.3f} MB | 0.1 MB"
            f" | {per_room / 0.1:.2f}× | {'met' if per_room <= 0.1 else '**missed**'} |"
        )
    if storm:
        duet_all, yws_all = storm["duet"]["all"], storm["yws"]["all"]
        clients = shape.storm_rooms * shape.storm_per_room
        if duet_all is None or yws_all is None:
            rows.append(
                f"| join storm ({clients:,} clients) ≤ 2 × @y/websocket-server's | — | — | — | incomplete |"
            )
        else:
            rows.append(
                f"| join storm: {clients:,} clients all synced ≤ 2 × @y/websocket-server's time"
                f" | {duet_all:.0f} ms | {yws_all:.0f} ms | {duet_all / yws_all:.2f}×"
                f" | {'met' if duet_all <= 2 * yws_all else '**missed**'} |"
            )
    if not rows:
        return []
    return ["", "**Targets**", "", "| target | Duet | reference | ratio | |", "|---|---|---|---|---|", *rows]


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run; print, do not write the docs")
    parser.add_argument("--repeats", type=int, help="interview-load runs per server (default 3; quick: 1)")
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help=f"comma-separated, of {', '.join((*PARTS, RECORDING))}; all but {RECORDING} unless given",
    )
    args = parser.parse_args(argv)
    parts = tuple(p for p in args.parts.split(",") if p)
    if unknown := set(parts) - {*PARTS, RECORDING}:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    shape = QUICK if args.quick else FULL
    if args.repeats:
        shape = replace(shape, repeats=args.repeats)
    machine = machine_line()
    tables = await run(shape, parts)
    command = "make bench-sync  # .venv/bin/python -m bench.sync_bench"
    section = f"Command: `{command}`  \nMachine: {machine}\n\n{tables}"
    print(section)
    if not args.quick and set(parts) == set(PARTS):
        replace_section(Path("docs/benchmarks.md"), "sync", section)
    elif not args.quick and parts == (RECORDING,):
        command = f"make bench-recording  # .venv/bin/python -m bench.sync_bench --parts {RECORDING}"
        section = f"Command: `{command}`  \nMachine: {machine}\n\n{tables}"
        replace_section(Path("docs/benchmarks.md"), "sync-recording", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(sys.argv[1:])))
