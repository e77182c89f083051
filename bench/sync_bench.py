"""Live sync benchmark: Duet against @y/websocket-server (yjs 13) and Hocuspocus, same load, same
machine, same run, driven by real Yjs clients in Node (bench/sync/load.mjs).

    .venv/bin/python -m bench.sync_bench            # full run (~15 min), rewrites docs/benchmarks.md
    .venv/bin/python -m bench.sync_bench --quick    # small run, prints only (the smoke test)

The server under test is pinned to CPU 0 and the load generators to CPU 1 (`taskset`), so the
two do not steal each other's core. Server CPU comes from /proc/<pid>/stat, memory is its RSS.
Every workload gets a fresh server process. Duet runs on its embedded default (SQLite, every
update committed before it is broadcast); the anchors keep documents in memory only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from bench.report import machine_line, replace_section
from server.sessions.roles import Role
from server.settings import Settings
from server.web.services import running_services
from tests.support.live_server import live_server

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE / "sync"
SERVER_CPU, LOAD_CPU = "0", "1"
NAMES = {"duet": "Duet", "yws": "@y/websocket-server 0.1.1", "hocus": "Hocuspocus 4.7.0"}
GRACE_SECONDS = 2.0  # Duet's room unload grace for the memory workload (default 30 s)
WARMUP_SECONDS = 2.0  # the first keystrokes count for loss, not latency (see load.mjs)


@dataclass
class Room:
    name: str
    tokens: list[str] = field(default_factory=list)


@dataclass
class Target:
    kind: str
    base: str
    pid: int

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


async def provision(settings: Settings, rooms: int, people: int) -> list[Room]:
    """Sessions with ``people`` participants each: typists are candidates, a third is an observer."""
    made: list[Room] = []
    async with running_services(settings) as svc:
        org = await svc.accounts.default_organization()
        for i in range(rooms):
            session, issued = await svc.sessions.create(
                org_id=org.id, title=f"bench {i}", language="python", created_by=None
            )
            links = {link.link.role: link.token for link in issued}
            room = Room(session.id)
            for p in range(people):
                role = Role.OBSERVER if p == 2 else Role.CANDIDATE
                room.tokens.append((await svc.sessions.join(links[role], display_name=f"p{p}")).token)
            made.append(room)
    return made


@asynccontextmanager
async def server(kind: str, rooms: int, people: int) -> AsyncIterator[tuple[Target, list[Room]]]:
    if kind == "duet":
        with tempfile.TemporaryDirectory(prefix="duet-sync-bench-") as tmp:
            var = Path(tmp)
            database = f"sqlite:///{var / 'duet.db'}"
            settings = Settings(secret_key="b" * 40, var_dir=var, database_url=database, sandbox="bwrap")
            made = await provision(settings, rooms, people)
            extra = {
                "DUET_SYNC_ROOM_GRACE_SECONDS": str(GRACE_SECONDS),
                "DUET_SANDBOX": "bwrap",
                # every load client connects from 127.0.0.1: hundreds of sockets from one address
                "DUET_MAX_CONNECTIONS_PER_ADDRESS": "0",
            }
            with pinned(SERVER_CPU), live_server(var, database, extra_env=extra) as live:
                yield Target(kind, live.ws_url, live.process.pid), made
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
            "lost": sum(r["lost"] for r in results),
            "expected": sum(r["expected"] for r in results),
            "cpu_percent": _median([r["cpu_percent"] for r in results]),
            "rss_mb": _median([r["rss_mb"] for r in results]),
        }
    return merged


def _median(values: list[float]) -> float | None:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else None


class SaturationStep(NamedTuple):
    offered: float  # aggregate updates/s
    achieved: float
    p99: float | None  # ms
    lost: int
    ok: bool


@dataclass
class Saturation:
    best: float  # the highest offered aggregate rate that passed
    steps: list[SaturationStep]


async def saturation(kind: str, rooms: int, rates: list[float], seconds: float) -> Saturation:
    best = 0.0
    steps = []
    for rate in rates:
        result = await interview(kind, rooms, rate, seconds)
        ok = result["lost"] == 0 and result["p99"] is not None and result["p99"] <= 100
        offered = rate * 2 * rooms
        steps.append(SaturationStep(offered, result["rate"], result["p99"], result["lost"], ok))
        if not ok:
            break
        best = offered
    return Saturation(best, steps)


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


# ---- report ------------------------------------------------------------------------------------


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


async def run(quick: bool, repeats: int) -> str:
    kinds = ["duet", "yws", "hocus"]
    sizes = [5] if quick else [10, 50, 100, 200]
    seconds = 3.0 if quick else 20.0
    steps = [5.0, 10.0, 12.5, 15.0, 17.5, 20.0, 25.0, 30.0, 40.0]  # keystrokes/s per typist
    sat_rooms, sat_rates = (5, [5.0]) if quick else (50, steps)
    idle_rooms = 20 if quick else 200
    joins = 2 if quick else 5
    lines: list[str] = []

    load: dict[tuple[str, int], dict[str, Any]] = {}
    for r in sizes:
        for k, merged in (await interview_repeated(kinds, r, seconds, repeats)).items():
            load[(k, r)] = merged
    lines += [
        f"**1. Interview load** — R rooms × (2 typists at 5 keystrokes/s, each moving its cursor, + 1"
        f" viewer), {seconds:.0f} s per run, {repeats} runs per server taken in turns; latency = a"
        " typist's insert → its arrival at each other client of the room, after the first"
        f" {WARMUP_SECONDS:.0f} s of typing (every keystroke counts for loss). Figures are"
        " medians over the runs; lost is their sum.",
        "",
        "| R | server | p50 ms | p99 ms | p99 range ms | lost | server CPU % | server RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in sizes:
        for k in kinds:
            x = load[(k, r)]
            spread = "—" if x["p99_range"] is None else f"{x['p99_range'][0]:.1f}–{x['p99_range'][1]:.1f}"
            lines.append(
                f"| {r} | {NAMES[k]} | {ms(x['p50'])} | {ms(x['p99'])} | {spread}"
                f" | {x['lost']} of {x['expected']} | {x['cpu_percent']:.0f} | {x['rss_mb']:.0f} |"
            )

    sat = {k: await saturation(k, sat_rooms, sat_rates, seconds) for k in kinds}
    lines += [
        "",
        f"**2. Saturation** — {sat_rooms} rooms of the same shape, the typing rate raised step by step;"
        " the highest aggregate rate with p99 ≤ 100 ms and nothing lost:",
        "",
        "| server | best offered updates/s | steps (offered → achieved/s, p99 ms, lost) |",
        "|---|---|---|",
    ]
    for k in kinds:
        tried = "; ".join(
            f"{offered:.0f} → {achieved:.0f}, {ms(p99)}, {lost}{'' if ok else ' ✗'}"
            for offered, achieved, p99, lost, ok in sat[k].steps
        )
        lines.append(f"| {NAMES[k]} | {sat[k].best:.0f} | {tried} |")

    idle = {k: await idle_memory(k, idle_rooms, 1024) for k in kinds}
    lines += [
        "",
        f"**3. Idle memory** — {idle_rooms} rooms with a 1 KB document and one idle client each; RSS"
        f" before, with the rooms loaded, and {GRACE_SECONDS + 8:.0f} s after every client left"
        f" (Duet's unload grace set to {GRACE_SECONDS:.0f} s for the run):",
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

    join = {k: await join_time(k, 1024 * 1024, joins) for k in kinds}
    lines += [
        "",
        f"**4. Join a 1 MB document** — a fresh client connects to a loaded room and has the full text;"
        f" {joins} joins each:",
        "",
        "| server | p50 ms | max ms |",
        "|---|---|---|",
    ]
    lines += [f"| {NAMES[k]} | {ms(join[k]['p50'])} | {ms(join[k]['max'])} |" for k in kinds]

    per_room = idle["duet"]["per_room"]
    r100 = 100 if 100 in sizes else sizes[-1]
    best_anchor_p99 = min(load[(k, r100)]["p99"] or 1e9 for k in ("yws", "hocus"))
    duet_p99 = load[("duet", r100)]["p99"] or 1e9
    lines += [
        "",
        "**Targets**",
        "",
        "| target | Duet | reference | ratio | |",
        "|---|---|---|---|---|",
        f"| p99 at R = {r100} ≤ the better anchor | {duet_p99:.1f} ms | {best_anchor_p99:.1f} ms"
        f" | {duet_p99 / best_anchor_p99:.2f}× | {'met' if duet_p99 <= best_anchor_p99 else '**missed**'} |",
        f"| saturation ≥ Hocuspocus | {sat['duet'].best:.0f}/s | {sat['hocus'].best:.0f}/s"
        f" | {sat['duet'].best / max(sat['hocus'].best, 1):.2f}× |"
        f" {'met' if sat['duet'].best >= sat['hocus'].best else '**missed**'} |",
        f"| idle room ≤ 0.1 MB | {per_room:.3f} MB | 0.1 MB"
        f" | {per_room / 0.1:.2f}× | {'met' if per_room <= 0.1 else '**missed**'} |",
    ]
    return "\n".join(lines)


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run; print, do not write the docs")
    parser.add_argument("--repeats", type=int, help="interview-load runs per server (default 3; quick: 1)")
    args = parser.parse_args(argv)
    machine = machine_line()
    tables = await run(args.quick, args.repeats or (1 if args.quick else 3))
    command = "make bench-sync  # .venv/bin/python -m bench.sync_bench"
    section = f"Command: `{command}`  \nMachine: {machine}\n\n{tables}"
    print(section)
    if not args.quick:
        replace_section(Path("docs/benchmarks.md"), "sync", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(sys.argv[1:])))
