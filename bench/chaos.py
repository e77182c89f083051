"""The cluster under faults: three `duet serve` nodes behind HAProxy, two `duet worker`s, their own
PostgreSQL and Redis, rooms of typing Yjs clients and a participant pressing Run in each, while
nodes are SIGKILLed and restarted, Redis is restarted and PostgreSQL is paused.

    make chaos                                 # five minutes; rewrites docs/reliability.md's results
    .venv/bin/python -m bench.chaos --quick    # ~1 min: one kill, one Redis restart, one pause; prints
    .venv/bin/python -m bench.chaos --minutes 2 --keep   # prints; keeps the logs

Everything runs on this machine, started by this script on free ports, and is stopped at the end:
PostgreSQL (Debian's binaries, a cluster made with initdb as the ``postgres`` user), Redis
(``redis-server``, no persistence: a restart loses everything in it), HAProxy (health checks on
``/healthz``), the nodes and workers (``python -m server``, this tree), and the clients
(``bench/sync/chaos.mjs``: the stock y-websocket provider and a control-channel client).

The faults, on a schedule (`schedule`): every 20 s one node chosen at random is killed with
SIGKILL and started again at once, as a supervisor would; once Redis is killed with SIGKILL and
started again empty; once PostgreSQL's postmaster and every backend are stopped with SIGSTOP for
5 s, then continued. Then the clients stop typing and pressing, wait until their edits are
acknowledged, and leave; every node is killed and restarted, so the rooms load from the database
alone; a fresh client per room reads the document from each node and through the balancer, and
each node runs a program once.

The run fails (exit 1) when an acknowledged edit is missing, a run hung, a node's copy differs, a
node is unhealthy at the end or cannot run code: `failures`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html.parser
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from bench.report import machine_line, replace_section
from tests.support.own_redis import OwnRedis
from tests.support.subprocesses import stop_process

REPO = Path(__file__).resolve().parents[1]
NODE_DIR = REPO / "bench" / "sync"
SECRET = "chaos-bench-secret-" + "c" * 32
ADMIN = "chaos@example.com"
PASSWORD = "a long chaos password"
NODES = 3
WORKERS = 2
WORKER_SLOTS = 2
PAUSE_SECONDS = 5.0
REDIS_DOWN_SECONDS = 1.0
HEALTH_POLL_SECONDS = 0.5
HEALTH_TIMEOUT_SECONDS = 7.0
START_TIMEOUT = 90.0
TYPING_RATE = 4  # one-character inserts a second, per typist (two per room)
RUN_PAUSE_SECONDS = 1  # between a run's end and the next press
RUN_DEADLINE_SECONDS = 60  # a run with no end this long after its press hung
SETTLE_SECONDS = 30  # at the end, how long the typists may wait for their acknowledgements


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Timeline:
    """What happened when, in seconds from the start of the load (``t0``, wall clock: the
    clients stamp their reconnects on the same clock)."""

    def __init__(self) -> None:
        self.t0 = time.time()
        self.entries: list[tuple[float, str]] = []
        self.faults: list[tuple[float, str]] = []  # when each fault began, and what it was

    def now(self) -> float:
        return time.time() - self.t0

    def note(self, what: str) -> None:
        self.entries.append((self.now(), what))
        print(f"[{self.now():7.1f}s] {what}", file=sys.stderr, flush=True)

    def fault(self, what: str) -> None:
        self.faults.append((self.now(), what))
        self.note(what)


# ---- the parts of the cluster -------------------------------------------------------------------


def postgres_bin(name: str) -> str:
    """Debian's PostgreSQL binaries are not on PATH: the newest installed version's."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[4]))
    if not found:
        raise SystemExit(f"PostgreSQL's {name} is not installed (Debian: postgresql)")
    return str(found[-1])


class Postgres:
    """A throw-away cluster, run as the ``postgres`` user (initdb refuses root)."""

    def __init__(self, root: Path) -> None:
        self.root = root / "postgres"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/duet"

    def start(self, log_path: Path) -> None:
        with open(log_path, "ab") as log:
            self._start(log)

    def _start(self, log: IO[bytes]) -> None:
        self.root.mkdir()
        shutil.chown(self.root, "postgres", "postgres")
        data = self.root / "data"
        subprocess.run(
            [
                postgres_bin("initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            user="postgres",
            check=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.process = subprocess.Popen(
            [
                postgres_bin("postgres"),
                "-D",
                str(data),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={self.root}",
                "-c",
                "max_connections=200",
            ],
            user="postgres",
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            ready = subprocess.run(
                [postgres_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
                check=False,
            )
            if ready.returncode == 0:
                break
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("PostgreSQL did not start (see postgres.log)")
            time.sleep(0.1)
        subprocess.run(
            [postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "duet"],
            check=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def processes(self) -> list[int]:
        """The postmaster first, then every process it started (backends, background workers)."""
        assert self.process is not None
        postmaster = self.process.pid
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                children.append(int(stat.parent.name))
        return [postmaster, *children]

    async def pause(self, seconds: float) -> int:
        """SIGSTOP the postmaster (so it starts nothing new) and every child, then SIGCONT them."""
        stopped = []
        for pid in self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
                stopped.append(pid)
        await asyncio.sleep(seconds)
        for pid in reversed(stopped):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        return len(stopped)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            for pid in self.processes():  # in case the run ended in the middle of a pause
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
            stop_process(self.process, timeout=30, how=signal.SIGINT)  # fast shutdown


@dataclass
class DuetProcess:
    """One ``duet serve`` node or ``duet worker``: started again on the same port after a kill."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            log.write(f"---- start {self.starts + 1} at {time.strftime('%H:%M:%S')}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server", *self.argv],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            )
        self.starts += 1

    def kill(self) -> int:
        assert self.process is not None
        pid = self.process.pid
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        return pid

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, timeout=20)

    async def healthy(self, client: httpx.AsyncClient, within: float = START_TIMEOUT) -> float:
        """Seconds until /healthz answers 200."""
        started = time.monotonic()
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"http://127.0.0.1:{self.port}/healthz")).status_code == 200:
                    return time.monotonic() - started
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited (see {self.log_path})")
            if time.monotonic() - started > within:
                raise RuntimeError(f"{self.name} is not healthy after {within:.0f} s (see {self.log_path})")
            await asyncio.sleep(0.1)

    async def logged(self, mark: str, within: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + within
        while mark not in self.log_path.read_text(errors="replace").rsplit("---- start", 1)[-1]:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited (see {self.log_path})")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not log {mark!r} (see {self.log_path})")
            await asyncio.sleep(0.1)


HAPROXY_CONFIG = """\
global
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    timeout check 3s
    retries 3
    option redispatch 1

frontend duet
    bind 127.0.0.1:{port}
    default_backend nodes

backend nodes
    balance leastconn
    option httpchk GET /healthz
    http-check expect status 200
    # a refused connection marks the node down at once (and is tried on another); the checks
    # bring it back once it answers 200 twice
    default-server inter 1s fall 2 rise 2 observe layer4 error-limit 1 on-error mark-down
{servers}
"""


class Balancer:
    """HAProxy from Debian in the foreground; server state changes come on its stderr."""

    def __init__(self, root: Path, port: int, nodes: list[DuetProcess], timeline: Timeline) -> None:
        self.port = port
        self.config = root / "haproxy.cfg"
        servers = "\n".join(f"    server {n.name} 127.0.0.1:{n.port} check" for n in nodes)
        self.config.write_text(HAPROXY_CONFIG.format(port=self.port, servers=servers))
        self.log_path = root / "haproxy.log"
        self.timeline = timeline
        self.process: asyncio.subprocess.Process | None = None
        self.reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        haproxy = shutil.which("haproxy", path=os.environ.get("PATH", "") + ":/usr/sbin")
        if haproxy is None:
            raise SystemExit("haproxy is not installed (make chaos installs it: apt-get install haproxy)")
        self.process = await asyncio.create_subprocess_exec(
            haproxy,
            "-db",
            "-f",
            str(self.config),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self.reader = asyncio.create_task(self._read(self.log_path.open("a")))

    async def _read(self, log: IO[str]) -> None:
        assert self.process is not None and self.process.stderr is not None
        with log:
            async for raw in self.process.stderr:
                line = raw.decode(errors="replace").rstrip()
                log.write(line + "\n")
                log.flush()
                if " is DOWN" in line or " is UP" in line:
                    self.timeline.note("haproxy: " + line.split(": ", 1)[-1].split(", reason")[0].strip())

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()
        if self.reader is not None:
            await asyncio.wait([self.reader], timeout=5)


# ---- provisioning through the balancer ----------------------------------------------------------


class _CsrfField(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.value = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "input" and named.get("name") == "csrf":
            self.value = named.get("value") or ""


async def join(url: str, name: str) -> str:
    """Follow a join link as a browser does (the form, its CSRF field, the POST); the participant
    token is the cookie the answer sets."""
    async with httpx.AsyncClient(timeout=30) as browser:
        page = await browser.get(url)
        page.raise_for_status()
        form = _CsrfField()
        form.feed(page.text)
        answer = await browser.post(url, data={"csrf": form.value, "display_name": name})
        if answer.status_code != 303:
            raise RuntimeError(f"joining as {name} answered {answer.status_code}: {answer.text[:300]}")
        for cookie, value in answer.cookies.items():
            if cookie.startswith("duet_p_"):
                return value
    raise RuntimeError(f"joining as {name} set no participant cookie")


async def provision(base: str, key: str, rooms: int) -> list[dict[str, Any]]:
    """Sessions made through the REST API; two typists, a runner (candidates) and a read-only
    checker (an observer) join each through its links."""
    made = []
    async with httpx.AsyncClient(
        base_url=base, timeout=30, headers={"Authorization": f"Bearer {key}"}
    ) as api:
        for i in range(rooms):
            answer = await api.post("/api/v1/sessions", json={"title": f"chaos {i}", "language": "python"})
            answer.raise_for_status()
            session = answer.json()
            links = session["join"]
            made.append(
                {
                    "session": session["id"],
                    "typists": [await join(links["candidate"], f"typist-{i}-{n}") for n in range(2)],
                    "runner": await join(links["candidate"], f"runner-{i}"),
                    "checker": await join(links["observer"], f"checker-{i}"),
                }
            )
    return made


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "server", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"duet {' '.join(args[:2])} failed: {done.stderr[-2000:]}")
    return done.stdout.strip()


# ---- the schedule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    seconds: float
    kills: list[float]
    redis_restart: float
    pg_pause: float
    rooms: int

    @classmethod
    def of(cls, minutes: float, quick: bool) -> Schedule:
        if quick:
            return cls(seconds=30, kills=[5], redis_restart=13, pg_pause=20, rooms=2)
        seconds = minutes * 60
        kills = [float(t) for t in range(20, int(seconds), 20)]
        # Redis and PostgreSQL between two kills, at about a third and two thirds of the run
        return cls(
            seconds=seconds,
            kills=kills,
            redis_restart=20 * round(seconds / 3 / 20) + 10,
            pg_pause=20 * round(seconds * 2 / 3 / 20) + 10,
            rooms=4,
        )


@dataclass
class Health:
    """/healthz of each node, polled directly: the answers it gave and when they changed."""

    states: dict[str, str] = field(default_factory=dict)
    unhealthy_since: dict[str, tuple[float, str]] = field(default_factory=dict)
    windows: list[tuple[str, float, float, str]] = field(default_factory=list)  # node, from, to, why


def health_state(answer: httpx.Response) -> str:
    if answer.status_code == 200:
        return "ok"
    body = answer.json()
    failing = {k: v for k, v in body.get("services", {}).items() if v != "ok"}
    if body.get("database") != "ok":
        failing["database"] = body.get("database")
    return f"{answer.status_code} {failing}"


async def watch_health(nodes: list[DuetProcess], timeline: Timeline, health: Health) -> None:
    """Each node on its own (one slow answer does not delay the others' checks); the timeout
    outlasts the checks /healthz makes itself (5 s), so its own answer is what is seen."""

    async def watch(client: httpx.AsyncClient, node: DuetProcess) -> None:
        while True:
            try:
                state = health_state(await client.get(f"http://127.0.0.1:{node.port}/healthz"))
            except httpx.ConnectError:
                state = "refused"
            except httpx.HTTPError as exc:
                state = f"no answer within {HEALTH_TIMEOUT_SECONDS:g} s ({exc.__class__.__name__})"
            if state != health.states.get(node.name):
                before = health.states.get(node.name)
                health.states[node.name] = state
                timeline.note(f"{node.name} /healthz: {state}")
                if state == "ok" and node.name in health.unhealthy_since:
                    since, why = health.unhealthy_since.pop(node.name)
                    health.windows.append((node.name, since, timeline.now(), why))
                elif state != "ok" and before is not None and node.name not in health.unhealthy_since:
                    health.unhealthy_since[node.name] = (timeline.now(), state)
            await asyncio.sleep(HEALTH_POLL_SECONDS)

    async with httpx.AsyncClient(timeout=HEALTH_TIMEOUT_SECONDS) as client, asyncio.TaskGroup() as tg:
        for node in nodes:
            tg.create_task(watch(client, node))


# ---- the run --------------------------------------------------------------------------------------


@dataclass
class Cluster:
    root: Path
    timeline: Timeline
    postgres: Postgres
    redis: OwnRedis
    nodes: list[DuetProcess]
    workers: list[DuetProcess]
    balancer: Balancer
    http: httpx.AsyncClient

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.balancer.port}"


def duet_env(
    root: Path, name: str, postgres: Postgres, redis: OwnRedis, balancer_port: int
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUET_")}
    var = root / name
    var.mkdir(exist_ok=True)
    env.update(
        {
            "PYTHONPATH": str(REPO),
            "DUET_VAR_DIR": str(var),
            "DUET_DATABASE_URL": postgres.url,
            "DUET_REDIS_URL": redis.url,
            "DUET_SECRET_KEY": SECRET,
            "DUET_PUBLIC_BASE_URL": f"http://127.0.0.1:{balancer_port}",
            # every connection comes from HAProxy: the per-address cap belongs on the balancer
            "DUET_MAX_CONNECTIONS_PER_ADDRESS": "0",
            "DUET_SANDBOX": "bwrap",
            # a run nobody can take (every worker gone, Redis just restarted) ends within this
            "DUET_EXEC_QUEUE_TIMEOUT_SECONDS": "30",
        }
    )
    return env


@asynccontextmanager
async def cluster(root: Path, timeline: Timeline) -> AsyncIterator[Cluster]:
    postgres, redis = Postgres(root), OwnRedis(root / "redis.log")
    balancer_port = free_port()

    def process(name: str, argv: list[str]) -> DuetProcess:
        env = duet_env(root, name, postgres, redis, balancer_port)
        return DuetProcess(name, argv, env, root / f"{name}.log")

    nodes = []
    for i in range(NODES):
        port = free_port()
        nodes.append(process(f"node{i + 1}", ["serve", "--port", str(port)]))
        nodes[-1].port = port
    workers = [process(f"worker{i + 1}", ["worker", "--slots", str(WORKER_SLOTS)]) for i in range(WORKERS)]
    balancer = Balancer(root, balancer_port, nodes, timeline)
    async with httpx.AsyncClient(timeout=5) as http:
        try:
            postgres.start(root / "postgres.log")
            redis.start()
            cli(nodes[0].env, "migrate")
            for started in [*nodes, *workers]:
                started.start()
            await asyncio.gather(
                *(n.healthy(http) for n in nodes), *(w.logged("serving the run queue") for w in workers)
            )
            await balancer.start()
            yield Cluster(root, timeline, postgres, redis, nodes, workers, balancer, http)
        finally:
            await balancer.stop()
            for stopped in [*nodes, *workers]:
                stopped.stop()
            redis.stop()
            postgres.stop()


async def restart_node(c: Cluster, node: DuetProcess) -> None:
    pid = node.kill()
    c.timeline.fault(f"SIGKILL {node.name} (pid {pid}), started again at once")
    node.start()
    took = await node.healthy(c.http)
    c.timeline.note(f"{node.name} healthy again, {took:.1f} s after its start")


async def restart_redis(c: Cluster) -> None:
    c.redis.kill()
    c.timeline.fault(f"SIGKILL redis-server, started again (empty) {REDIS_DOWN_SECONDS:g} s later")
    await asyncio.sleep(REDIS_DOWN_SECONDS)
    c.redis.start()
    c.timeline.note("redis-server answers again")


async def pause_postgres(c: Cluster) -> None:
    c.timeline.fault(f"SIGSTOP PostgreSQL (postmaster and every backend) for {PAUSE_SECONDS:g} s")
    stopped = await c.postgres.pause(PAUSE_SECONDS)
    c.timeline.note(f"SIGCONT PostgreSQL ({stopped} processes)")


async def faults(c: Cluster, schedule: Schedule, rng: random.Random) -> None:
    plan: list[tuple[float, str]] = [(t, "kill") for t in schedule.kills]
    plan += [(schedule.redis_restart, "redis"), (schedule.pg_pause, "pause")]
    async with asyncio.TaskGroup() as tg:
        for at, what in sorted(plan):
            await asyncio.sleep(max(0.0, at - c.timeline.now()))
            if what == "kill":
                tg.create_task(restart_node(c, rng.choice(c.nodes)))
            elif what == "redis":
                tg.create_task(restart_redis(c))
            else:
                tg.create_task(pause_postgres(c))
        await asyncio.sleep(max(0.0, schedule.seconds - c.timeline.now()))


class Clients:
    """bench/sync/chaos.mjs: JSON lines out, commands in."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def expect(self, event: str, within: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        async with asyncio.timeout(within):
            while True:
                line = await self.process.stdout.readline()
                if not line:
                    raise RuntimeError(f"the clients exited before {event!r} (see clients.log)")
                message: dict[str, Any] = json.loads(line)
                if message["event"] == event:
                    return message
                if message["event"] == "progress":
                    del message["event"]
                    print(f"          clients: {json.dumps(message)}", file=sys.stderr, flush=True)

    async def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{command}\n".encode())
        await self.process.stdin.drain()


@asynccontextmanager
async def clients(c: Cluster, rooms: list[dict[str, Any]]) -> AsyncIterator[Clients]:
    config = {
        "base": f"ws://127.0.0.1:{c.balancer.port}",
        "nodes": [f"ws://127.0.0.1:{n.port}" for n in c.nodes],
        "rooms": rooms,
        "rate": TYPING_RATE,
        "runPause": RUN_PAUSE_SECONDS * 1000,
        "runDeadline": RUN_DEADLINE_SECONDS * 1000,
        "settleSeconds": SETTLE_SECONDS,
    }
    log = (c.root / "clients.log").open("ab")
    try:
        process = await asyncio.create_subprocess_exec(
            "node",
            str(NODE_DIR / "chaos.mjs"),
            json.dumps(config),
            cwd=NODE_DIR,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            limit=64 * 1024 * 1024,
        )
    finally:
        log.close()
    try:
        yield Clients(process)
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def run(schedule: Schedule, root: Path, seed: int) -> dict[str, Any]:
    timeline = Timeline()
    health = Health()
    rng = random.Random(seed)
    async with cluster(root, timeline) as c:
        env = c.nodes[0].env
        cli(env, "user", "create", "--email", ADMIN, "--password", PASSWORD, "--role", "admin")
        rooms = await provision(c.base, cli(env, "apikey", "create", "--email", ADMIN), schedule.rooms)
        async with clients(c, rooms) as load:
            await load.expect("ready", 120)
            timeline.t0 = time.time()
            timeline.note(f"load started: {schedule.rooms} rooms through HAProxy")
            watcher = asyncio.create_task(watch_health(c.nodes, timeline, health))
            try:
                await faults(c, schedule, rng)
                timeline.note("faults over: the clients stop, wait for their acknowledgements, leave")
                await load.send("stop")
                settled = await load.expect("settled", SETTLE_SECONDS + 60)
                await asyncio.sleep(3)  # the last /healthz answers after the last fault
            finally:
                watcher.cancel()
            end_states = dict(health.states)
            timeline.note("every node: SIGKILL, then started again (the rooms load from the database)")
            for node in c.nodes:
                node.kill()
            for node in c.nodes:
                node.start()
            await asyncio.gather(*(n.healthy(c.http) for n in c.nodes))
            await load.send("verify")
            result = await load.expect("result", 300)
    return {
        "seed": seed,
        "schedule": schedule.__dict__,
        "t0": timeline.t0,
        "timeline": timeline.entries,
        "faults": timeline.faults,
        "health_windows": health.windows,
        "health_at_end": end_states,
        "settled": settled,
        "clients": result,
    }


# ---- what it found --------------------------------------------------------------------------------


def failures(outcome: dict[str, Any]) -> list[str]:
    result = outcome["clients"]
    found = []
    if result["lost"]:
        found.append(f"{result['lost']} acknowledged edits are missing")
    if result["diverged"]:
        found.append(f"{result['diverged']} copies of a document differ")
    if result["unsynced_at_end"]:
        found.append(f"{result['unsynced_at_end']} typists were not connected again at the end")
    if result["runs"]["hung"]:
        found.append(f"{result['runs']['hung']} runs hung: {result['hangs']}")
    if result["watched"].get("hung"):
        found.append(f"{result['watched']['hung']} runs never ended for another participant")
    bad_runs = [r for r in result["final_runs"] if r["outcome"] != "ok"]
    if bad_runs:
        found.append(f"a node could not run code at the end: {bad_runs}")
    unhealthy = {n: s for n, s in outcome["health_at_end"].items() if s != "ok"}
    if unhealthy:
        found.append(f"nodes unhealthy at the end: {unhealthy}")
    return found


def reconnect_times(outcome: dict[str, Any], since: str = "closedAt", until: str = "backAt") -> list[float]:
    """Milliseconds, sorted: from the socket's close (as the client saw it) to its being back
    (a typist synced, a control channel's hello); or between other marks (``openAt``: the
    last socket opened through the balancer before it was back)."""
    return sorted(r[until] - r[since] for r in outcome["clients"]["reconnects"] if r[since] and r[until])


def middle(values: list[float]) -> float | str:
    return values[len(values) // 2] if values else "–"


def summary(outcome: dict[str, Any]) -> dict[str, Any]:
    result = outcome["clients"]
    runs = result["runs"]
    times = reconnect_times(outcome)
    return {
        "edits": result["keystrokes"],
        "acknowledged": result["acknowledged"],
        "lost": result["lost"],
        "missing_unacknowledged": result["absent"],
        "diverged": result["diverged"],
        "runs_pressed": runs["presses"],
        "runs_finished_ok": runs["finished_ok"],
        "runs_finished_other": sum(runs["finished_status"].values()) + runs["wrong_output"],
        "runs_error_reported": sum(runs["finished_error"].values()),
        "runs_refused": sum(runs["refused"].values()),
        "runs_lost_with_connection": runs["lost_with_connection"],
        "runs_hung": runs["hung"],
        "runs_watched": result["watched"].get("seen", 0),
        "runs_watched_hung": result["watched"].get("hung", 0),
        "reconnects": len(times),
        "worst_reconnect_ms": times[-1] if times else None,
        "median_reconnect_ms": times[len(times) // 2] if times else None,
        "final_runs": [r["outcome"] for r in result["final_runs"]],
        "failures": failures(outcome),
    }


def attributed(outcome: dict[str, Any]) -> dict[int, list[float]]:
    """Each reconnect's time, by the fault it followed (the latest one begun before its socket
    closed; -1: before any fault)."""
    starts = [at for at, _ in outcome["faults"]]
    by_fault: dict[int, list[float]] = {}
    for r in outcome["clients"]["reconnects"]:
        closed = r["closedAt"] / 1000 - outcome["t0"]
        index = max((i for i, at in enumerate(starts) if at <= closed + 0.05), default=-1)
        by_fault.setdefault(index, []).append(r["backAt"] - r["closedAt"])
    return by_fault


def report(outcome: dict[str, Any], command: str, machine: str) -> str:
    s = summary(outcome)
    result = outcome["clients"]
    runs = result["runs"]
    watched = result["watched"]
    errors = {**runs["finished_error"], **{f"refused: {k}": v for k, v in runs["refused"].items()}}
    times = reconnect_times(outcome)
    to_socket = reconnect_times(outcome, until="openAt")
    to_back = reconnect_times(outcome, since="openAt")
    kinds = {k: sum(1 for r in result["reconnects"] if r["kind"] == k) for k in ("sync", "control")}
    lines = [
        f"Command: {command}  ",
        f"Machine: {machine}",
        "",
        f"**{'Passed' if not s['failures'] else 'FAILED: ' + '; '.join(s['failures'])}.** "
        f"{outcome['schedule']['rooms']} rooms, {outcome['schedule']['seconds']:g} s of faults.",
        "",
        "| | |",
        "|---|---|",
        f"| edits typed (one-character inserts) | {s['edits']} |",
        f"| acknowledged by the server (echoed after commit) | {s['acknowledged']} |",
        f"| **acknowledged edits lost** (missing from a node's or the balancer's copy) | **{s['lost']}** |",
        f"| edits never acknowledged and missing | {s['missing_unacknowledged']} |",
        f"| copies that differ (nodes, balancer, the typists' own) | {s['diverged']} |",
        f"| Runs pressed | {s['runs_pressed']} |",
        f"| finished, output as expected | {s['runs_finished_ok']} |",
        f"| finished otherwise (another status, other output) | {s['runs_finished_other']} |",
        f"| ended with an error told to the participants | {s['runs_error_reported']} |",
        f"| refused with a reason | {s['runs_refused']} |",
        f"| presses lost with their connection (never started, nothing recorded) | "
        f"{s['runs_lost_with_connection']} |",
        f"| **runs that hung** (no end within {RUN_DEADLINE_SECONDS:g} s of the press) | "
        f"**{s['runs_hung']}** |",
        "| runs a second participant saw start / saw end / never saw end | "
        f"{watched.get('seen', 0)} / {watched.get('ended', 0)} / **{watched.get('hung', 0)}** |",
        f"| reconnects through the balancer (sync / control channel) | {len(times)} ({kinds['sync']} / "
        f"{kinds['control']}) |",
        f"| **worst reconnect** (the maximum, over all {len(times)}) | **{s['worst_reconnect_ms']} ms** |",
        f"| median reconnect | {s['median_reconnect_ms']} ms |",
        f"| of which: until a socket was open again through the balancer (median / worst) | "
        f"{middle(to_socket)} / {to_socket[-1] if to_socket else '–'} ms |",
        f"| and from that socket's opening to synced or hello (median / worst) | "
        f"{middle(to_back)} / {to_back[-1] if to_back else '–'} ms |",
        f"| after the run, every node killed and restarted: a run on each | {', '.join(s['final_runs'])} |",
        "",
    ]
    if errors:
        lines += ["Errors the participants were told, and how often:", ""]
        lines += [f"- {count} × {message}" for message, count in sorted(errors.items(), key=lambda e: -e[1])]
        lines.append("")
    by_fault = attributed(outcome)
    lines += [
        "What was done when (seconds from the start of the load), and the reconnects that followed "
        "each fault (until the next):",
        "",
        "| t (s) | fault | reconnects | worst (ms) |",
        "|---:|---|---:|---:|",
    ]
    for i, (at, what) in enumerate(outcome["faults"]):
        after = by_fault.get(i, [])
        lines.append(f"| {at:.1f} | {what} | {len(after)} | {max(after) if after else '–'} |")
    lines.append("")
    windows = outcome["health_windows"]
    if windows:
        lines += ["`/healthz` answers other than 200 (polled every 0.5 s on each node directly):", ""]
        for node, since, until, why in windows:
            lines.append(f"- {node}, {since:.1f}–{until:.1f} s: {why}")
        lines.append("")
    return "\n".join(lines)


@contextmanager
def workdir(keep: bool) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="duet-chaos-"))
    root.chmod(0o755)  # PostgreSQL runs as its own user under it
    ok = False
    try:
        yield root
        ok = True
    finally:
        if keep or not ok:
            print(f"logs kept in {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="how long the faults go on (default 5)")
    parser.add_argument("--quick", action="store_true", help="30 s, one fault of each kind")
    parser.add_argument("--seed", type=int, help="chooses the nodes to kill (default: random)")
    parser.add_argument("--write", action="store_true", help="rewrite the results in docs/reliability.md")
    parser.add_argument("--keep", action="store_true", help="keep the logs directory")
    parser.add_argument("--json", type=Path, help="also write the summary there")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("the chaos run needs root: the workers' sandboxes, and PostgreSQL's own user")
    seed = args.seed if args.seed is not None else random.randrange(1 << 20)
    schedule = Schedule.of(args.minutes, args.quick)
    machine = machine_line()
    with workdir(args.keep) as root:
        outcome = await run(schedule, root, seed)
        (root / "outcome.json").write_text(json.dumps(outcome, indent=1))
        found = summary(outcome)
        if found["failures"]:
            args.keep = True  # the logs explain it
    flags = "--quick" if args.quick else f"--minutes {args.minutes:g}" if args.minutes != 5 else "--write"
    command = f"`.venv/bin/python -m bench.chaos {flags}`"
    if flags == "--write":
        command = f"`make chaos` ({command})"
    section = report(outcome, f"{command}, seed {seed} (`--seed {seed}` kills the same nodes)", machine)
    print(section)
    if args.json:
        args.json.write_text(json.dumps(found))
    if args.write:
        replace_section(REPO / "docs" / "reliability.md", "chaos", section)
    return 1 if found["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(sys.argv[1:])))
