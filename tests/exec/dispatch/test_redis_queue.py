"""The Redis run queue with real Redis and real workers (bubblewrap): fairness, positions,
streaming, stdin, stop, terminals, several workers, a worker killed mid-run, a submitter gone
from under its jobs, Redis restarted under a worker (idle, and in the middle of a run), and
hostile programs run and typed through a worker, held to their limits as in-process, and forged
test reports through a worker made tampered as in-process."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from pathlib import Path

import anyio
import pytest
import redis.asyncio as aioredis
from anyio.abc import ByteReceiveStream

from server.errors import Unavailable
from server.exec.dispatch.redis_queue import EntryField, JobKind, JobStream, OutEntry, RunQueue, WorkerInfo
from server.exec.dispatch.redis_runner import NO_WORKER, WORKER_LOST, RedisRunner
from server.exec.dispatch.wire import decode_result, encode_spec
from server.exec.dispatch.worker import Worker
from server.exec.engines.bwrap import engine as bwrap_engine
from server.exec.engines.bwrap.engine import BwrapEngine
from server.exec.executor import ExecutionRequest, Executor
from server.exec.runtime.languages import LanguageCatalogue
from server.exec.runtime.rootfs import RuntimeRootfs
from server.exec.sandbox import Limits, RunResult, RunSpec, Step, Stream
from tests.support.language_samples import SAMPLES
from tests.support.own_redis import OwnRedis, own_redis
from tests.support.prerequisites import missing
from tests.support.redis_server import redis_url, unique_prefix
from tests.support.run_stdin import as_stdin

pytestmark = [pytest.mark.anyio, pytest.mark.redis, pytest.mark.bwrap]

ENV = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"}


#: Generous, so a busy machine never ends a run at the wall when it is not what a test is about.
WALL_SECONDS = 60.0
#: Tight where a hostile program's test is about them (CPU, memory, processes, output).
HOSTILE = Limits(
    wall_seconds=WALL_SECONDS,
    cpu_seconds=3,
    memory_bytes=128 * 1024 * 1024,
    processes=32,
    output_bytes=64 * 1024,
)


def python(source: str, *, limits: Limits = Limits(wall_seconds=WALL_SECONDS)) -> RunSpec:
    return RunSpec(
        files={"main.py": source.encode()},
        steps=[Step("run", ("python3", "-u", "main.py"))],
        env=ENV,
        limits=limits,
    )


@asynccontextmanager
async def redis_queue() -> AsyncIterator[RunQueue]:
    client = aioredis.Redis.from_url(redis_url())
    prefix = unique_prefix()
    try:
        yield RunQueue(client, prefix=prefix)
    finally:
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture
async def queue() -> AsyncIterator[RunQueue]:
    async with redis_queue() as q:
        yield q


@pytest.fixture
def engine(runtime: RuntimeRootfs, tmp_path: Path) -> BwrapEngine:
    reason = bwrap_engine.probe()
    if reason is not None:
        missing(reason)
    return BwrapEngine(runtime.path, tmp_path / "sandbox")


class Output:
    """Collects streamed output and lets a test wait for a piece of it."""

    def __init__(self) -> None:
        self.text = ""
        self._changed = anyio.Event()

    async def __call__(self, stream: Stream, chunk: bytes) -> None:
        self.text += chunk.decode()
        self._changed.set()
        self._changed = anyio.Event()

    async def wait_for(self, piece: str, within: float = 60) -> None:
        with anyio.fail_after(within):
            while piece not in self.text:
                await self._changed.wait()


async def test_groups_take_turns_and_positions_are_exact(queue: RunQueue) -> None:
    for job_id, group in [("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b"), ("c1", "c")]:
        await queue.enqueue(job_id, group, {"kind": "run", "n": job_id})
    positions = {
        j: await queue.position(j, g) for j, g in [("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b")]
    }
    assert positions == {"a1": 1, "a2": 4, "a3": 5, "b1": 2}
    assert await queue.position("c1", "c") == 3
    assert await queue.cancel("a2", "a") is True  # withdrawn before anyone took it
    order = []
    while (claimed := await queue.claim("w")) is not None:
        order.append(claimed.job_id)
        assert claimed.job == {"kind": "run", "n": claimed.job_id}
    assert order == ["a1", "b1", "c1", "a3"]
    assert await queue.cancel("a3", "a") is False  # already claimed
    assert await queue.position("a3", "a") == 0
    assert await queue.redis.llen(queue.key("ring")) == 0


async def test_without_a_worker_runs_are_refused_with_the_reason(queue: RunQueue) -> None:
    runner = RedisRunner(queue)
    with pytest.raises(Unavailable, match="duet worker"):
        await runner.run(python("print(1)"), group="s")
    status = await runner.status()
    assert (status.available, status.reason) == (False, NO_WORKER)


@asynccontextmanager
async def workers(queue: RunQueue, engine: BwrapEngine, *slots: int) -> AsyncIterator[list[Worker]]:
    async with AsyncExitStack() as stack:
        started = [
            await stack.enter_async_context(
                Worker(queue, engine, slots=n, versions={"python": "3"}).running()
            )
            for n in slots
        ]
        yield started


async def test_output_streams_back_and_the_result_matches(queue: RunQueue, engine: BwrapEngine) -> None:
    output = Output()
    async with workers(queue, engine, 2) as (worker,):
        status = await RedisRunner(queue).status()
        assert status.available and status.engine == "queue: bwrap" and status.versions == {"python": "3"}
        source = (
            "import sys\nfor i in range(3): print('line', i)\nprint('oops', file=sys.stderr)\nsys.exit(3)"
        )
        result = await RedisRunner(queue).run(python(source), group="s", on_output=output)
    assert result.status == "runtime_error" and result.exit_code == 3
    assert result.stdout == "line 0\nline 1\nline 2\n" and result.stderr == "oops\n"
    assert "line 2" in output.text and "oops" in output.text
    assert worker.jobs_done == 1
    # what is left of the job in Redis expires soon: no job, no lease, streams with a short TTL
    left = [key.decode() async for key in queue.redis.scan_iter(queue.base + "*")]
    assert not [key for key in left if ":job:" in key or ":lease:" in key]
    streams = [key for key in left if ":out:" in key or ":in:" in key]
    assert streams and all([0 < await queue.redis.ttl(key) <= 60 for key in streams])


async def test_stdin_and_stop_reach_the_program(queue: RunQueue, engine: BwrapEngine) -> None:
    output = Output()
    send, receive = anyio.create_memory_object_stream[bytes](8)
    stop = anyio.Event()
    source = "import time\nprint('echo', input())\nwhile True: time.sleep(1)"
    async with send, receive, workers(queue, engine, 1), anyio.create_task_group() as tg:
        results = []

        async def run() -> None:
            results.append(
                await RedisRunner(queue).run(
                    python(source),
                    group="s",
                    on_output=output,
                    stdin_stream=as_stdin(receive),
                    stop=stop,
                )
            )

        tg.start_soon(run)
        await send.send(b"hello\n")
        await output.wait_for("echo hello")
        stop.set()
    (result,) = results
    assert result.stopped and result.stdout == "echo hello\n"


async def test_a_waiting_run_learns_its_position_and_can_be_withdrawn(
    queue: RunQueue, engine: BwrapEngine
) -> None:
    runner = RedisRunner(queue)
    busy_output = Output()
    busy_stop, queued_stop, queued_done, got_position = (
        anyio.Event(),
        anyio.Event(),
        anyio.Event(),
        anyio.Event(),
    )
    positions: list[int] = []
    results = {}

    def on_position(position: int) -> None:
        positions.append(position)
        got_position.set()

    async def busy() -> None:
        spec = python("print('busy')\nwhile True: pass")
        results["busy"] = await runner.run(spec, group="a", on_output=busy_output, stop=busy_stop)

    async def queued() -> None:
        spec = python("print('never')")
        results["queued"] = await runner.run(spec, group="b", on_position=on_position, stop=queued_stop)
        queued_done.set()

    async with workers(queue, engine, 1), anyio.create_task_group() as tg:
        tg.start_soon(busy)
        await busy_output.wait_for("busy")
        tg.start_soon(queued)
        with anyio.fail_after(60):
            await got_position.wait()
        queued_stop.set()  # withdrawn while it waits: it never runs
        with anyio.fail_after(60):
            await queued_done.wait()
        busy_stop.set()
    assert positions == [1]
    assert results["queued"].stopped and results["queued"].message == "stopped before it started"
    assert results["queued"].stdout == ""
    assert results["busy"].stopped and results["busy"].stdout == "busy\n"
    assert await queue.redis.llen(queue.key("ring")) == 0


async def test_a_terminal_runs_on_a_worker(queue: RunQueue, engine: BwrapEngine) -> None:
    spec = RunSpec(files={}, steps=[Step("run", ("python3", "-q"))], env=ENV, limits=Limits())
    async with workers(queue, engine, 1), RedisRunner(queue).terminal(spec, group="s") as terminal:
        await terminal.resize(24, 80)
        await terminal.write(b"print(6 * 7)\n")
        seen = b""
        with anyio.fail_after(60):
            while b"42" not in seen:
                seen += await terminal.read()
        await terminal.write(b"exit()\n")
        with anyio.fail_after(60):
            while await terminal.read():
                pass


async def test_several_workers_share_the_queue(queue: RunQueue, engine: BwrapEngine) -> None:
    outputs = [Output(), Output()]
    inputs = [anyio.create_memory_object_stream[bytes](4) for _ in outputs]
    source = "print('ready', flush=True)\nprint('got', input())"
    async with workers(queue, engine, 1, 1) as pool, anyio.create_task_group() as tg:
        results = []

        async def run(i: int) -> None:
            results.append(
                await RedisRunner(queue).run(
                    python(source), group=f"s{i}", on_output=outputs[i], stdin_stream=as_stdin(inputs[i][1])
                )
            )

        for i in range(2):
            tg.start_soon(run, i)
        # both wait for input at the same time: each of the one-slot workers holds one
        for output in outputs:
            await output.wait_for("ready")
        for send, _ in inputs:
            await send.send(b"x\n")
            await send.aclose()
    for _, receive in inputs:
        await receive.aclose()
    assert sorted(r.stdout for r in results) == ["ready\ngot x\n"] * 2
    assert [w.jobs_done for w in pool] == [1, 1]


async def test_a_killed_worker_ends_its_run_with_a_clear_error(
    queue: RunQueue, runtime: RuntimeRootfs, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DUET_REDIS_URL": redis_url(),
        "DUET_REDIS_PREFIX": queue.base.removesuffix(":exec:"),
        "DUET_SANDBOX": "bwrap",
        "DUET_VAR_DIR": str(tmp_path / "var"),
        "DUET_RUNTIME_CACHE": str(runtime.path.parent),
        "DUET_SECRET_KEY": "x" * 40,
    }
    command = [sys.executable, "-m", "server", "worker", "--slots", "1"]
    async with await anyio.open_process(command, env=env) as worker, anyio.create_task_group() as tg:
        assert worker.stderr is not None
        log = ""
        with anyio.fail_after(60):
            async for chunk in worker.stderr:
                log += chunk.decode(errors="replace")
                if "serving the run queue" in log:
                    break
        tg.start_soon(drain, worker.stderr)
        runner = RedisRunner(queue)
        assert (await runner.status()).available
        output = Output()
        results = []

        async def run() -> None:
            spec = python("print('up')\nwhile True: pass")
            results.append(await runner.run(spec, group="s", on_output=output))
            tg.cancel_scope.cancel()

        tg.start_soon(run)
        try:
            await output.wait_for("up")
            worker.send_signal(signal.SIGKILL)
            await worker.wait()
        finally:
            # what the killed worker left (its cgroup, its tmpfs work dir) goes at the next start
            bwrap_engine.sweep_orphans(tmp_path / "var" / "sandbox")
    (result,) = results
    assert (result.status, result.message) == ("internal_error", WORKER_LOST)


async def drain(stream: ByteReceiveStream) -> None:
    async for _ in stream:
        pass


async def test_redis_not_answering_is_a_clear_503() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = aioredis.Redis.from_url(f"redis://127.0.0.1:{port}/0")
    try:
        runner = RedisRunner(RunQueue(client, prefix=unique_prefix()))
        with pytest.raises(Unavailable, match="Redis"):
            await runner.run(python("print(1)"), group="s")
        status = await runner.status()
        assert not status.available and "Redis" in status.reason
    finally:
        await client.aclose()


async def test_a_run_nobody_takes_in_time_is_withdrawn_with_503(queue: RunQueue) -> None:
    # a worker that says it is there but never claims anything (stuck, or all slots busy elsewhere)
    await queue.heartbeat(WorkerInfo("stuck", "bwrap", 1, "elsewhere", {}))
    positions: list[int] = []
    with pytest.raises(Unavailable, match="in time"):
        await RedisRunner(queue, queue_timeout=0.5).run(
            python("print(1)"), group="s", on_position=positions.append
        )
    assert positions == [1]
    assert await queue.redis.llen(queue.key("ring")) == 0  # withdrawn: nothing left to claim


FORK_BOMB = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
FLOOD = "while True: print('y' * 100)"


async def test_hostile_programs_on_a_worker_are_held_to_their_limits(
    queue: RunQueue, engine: BwrapEngine
) -> None:
    runner = RedisRunner(queue)
    async with workers(queue, engine, 1):
        bomb = await runner.run(python(FORK_BOMB, limits=HOSTILE), group="s")
        assert bomb.status == "time_limit", bomb
        heap = await runner.run(
            python("chunks = []\nwhile True: chunks.append(bytearray(10 << 20))", limits=HOSTILE), group="s"
        )
        assert heap.status == "memory_limit", heap
        output = Output()
        flood = await runner.run(python(FLOOD, limits=HOSTILE), group="s", on_output=output)
        assert (flood.status, flood.stdout_truncated) == ("output_limit", True), flood
        # what came back through Redis as it was printed is capped too
        assert flood.stdout == output.text and len(output.text.encode()) < 70_000
        sleeper = await runner.run(
            python("import time\ntime.sleep(10**6)", limits=replace(HOSTILE, wall_seconds=4)), group="s"
        )
        assert (sleeper.status, sleeper.message) == ("time_limit", "still running after 4 s: stopped"), (
            sleeper
        )
        after = await runner.run(python("print('still fine')"), group="s")
        assert (after.status, after.stdout) == ("ok", "still fine\n"), after


@pytest.mark.parametrize(
    ("program", "ended_by"),
    [(FORK_BOMB, "used more than 3 s of CPU: stopped"), (FLOOD, "printed more than 65536 bytes: stopped")],
    ids=["fork-bomb", "flood"],
)
async def test_a_hostile_terminal_on_a_worker_is_ended(
    queue: RunQueue, engine: BwrapEngine, program: str, ended_by: str
) -> None:
    spec = RunSpec(
        files={"main.py": program.encode()},
        steps=[Step("run", ("python3", "main.py"))],
        env=ENV,
        limits=HOSTILE,
    )
    shown = b""
    async with workers(queue, engine, 1), RedisRunner(queue).terminal(spec, group="s") as terminal:
        with anyio.fail_after(60):
            while chunk := await terminal.read():
                shown += chunk
        assert terminal.ended_by == ended_by
    assert len(shown) <= HOSTILE.output_bytes


REDIS_DOWN_SECONDS = 2.0


@asynccontextmanager
async def restartable_queue() -> AsyncIterator[tuple[OwnRedis, RunQueue]]:
    """A queue on a Redis of this test's own, which it may kill and start again (empty)."""
    with own_redis() as server:
        client = aioredis.Redis.from_url(server.url)
        try:
            yield server, RunQueue(client, prefix=unique_prefix())
        finally:
            await client.aclose()


async def until_a_worker_is_back(runner: RedisRunner) -> None:
    with anyio.fail_after(20):  # its next heartbeat (every 3 s) announces it again
        # what is polled lives in Redis: there is no event to wait on
        while not (await runner.status()).available:  # noqa: ASYNC110
            await anyio.sleep(0.1)


async def test_an_idle_worker_serves_again_after_redis_restarts(engine: BwrapEngine) -> None:
    async with restartable_queue() as (server, queue), workers(queue, engine, 1) as (worker,):
        runner = RedisRunner(queue)
        assert (await runner.run(python("print('before')"), group="s")).stdout == "before\n"
        # down for longer than the client library retries a command: the worker waits on the queue
        await anyio.to_thread.run_sync(server.restart, REDIS_DOWN_SECONDS)
        await until_a_worker_is_back(runner)
        assert (await runner.run(python("print('after')"), group="s")).stdout == "after\n"
        assert worker.jobs_done == 2


async def test_a_run_cut_off_by_a_redis_restart_is_reported_and_the_worker_carries_on(
    engine: BwrapEngine,
) -> None:
    async with restartable_queue() as (server, queue), workers(queue, engine, 1) as (worker,):
        runner = RedisRunner(queue)
        output = Output()
        ended: list[RunResult | Unavailable] = []

        async def run() -> None:
            source = "import time\nprint('up', flush=True)\ntime.sleep(4)\nprint('end')"
            try:
                ended.append(
                    await runner.run(
                        python(source, limits=Limits(wall_seconds=30)), group="s", on_output=output
                    )
                )
            except Unavailable as exc:
                ended.append(exc)

        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            await output.wait_for("up")
            await anyio.to_thread.run_sync(server.restart, REDIS_DOWN_SECONDS)
        # the submitter reports the run's end: the queue lost it, or its worker's lease went
        # with Redis's memory
        (outcome,) = ended
        if isinstance(outcome, RunResult):
            assert (outcome.status, outcome.message) == ("internal_error", WORKER_LOST), outcome
        await until_a_worker_is_back(runner)
        # the worker has one slot: this runs once the cut-off job is over there too
        assert (await runner.run(python("print('after')"), group="s")).stdout == "after\n"
        assert worker.jobs_done >= 1


async def out_entry(queue: RunQueue, job_id: str, kind: OutEntry, within: float) -> bytes:
    """The job's first out-stream entry of ``kind`` (its data), read as it comes."""
    cursor = b"0-0"
    with anyio.fail_after(within):
        while True:
            for entry in await queue.receive(JobStream.OUT, job_id, cursor, 1000):
                cursor = entry.id
                if entry.type == kind:
                    return entry.get(EntryField.DATA)


@pytest.mark.slow
async def test_jobs_whose_submitter_is_gone_are_stopped_and_free_their_slots(
    queue: RunQueue, engine: BwrapEngine
) -> None:
    """A node that queued a run and a terminal, then died: it never holds them again. Before, a
    worker ran the run to its wall limit and kept the terminal for as long as its program lived
    (a REPL: for ever), each holding a slot."""
    sleeper = python("import time\nprint('up', flush=True)\ntime.sleep(50)", limits=Limits(wall_seconds=60))
    repl = RunSpec(files={}, steps=[Step("run", ("python3", "-q"))], env=ENV, limits=Limits())
    await queue.enqueue("orphan-run", "gone", {"kind": JobKind.RUN, "spec": encode_spec(sleeper)})
    await queue.enqueue("orphan-terminal", "gone", {"kind": JobKind.TERMINAL, "spec": encode_spec(repl)})
    async with workers(queue, engine, 2) as (worker,):
        await out_entry(queue, "orphan-terminal", OutEntry.TERMINAL_READY, within=30)
        # both slots are taken; the worker notices nobody holds the jobs (their hold, set when
        # they were queued, lapses after LEASE_MS) and ends them
        result = decode_result(await out_entry(queue, "orphan-run", OutEntry.RESULT, within=30))
        assert result.stopped and result.stdout == "up\n"
        await out_entry(queue, "orphan-terminal", OutEntry.TERMINAL_CLOSED, within=10)
        with anyio.fail_after(20):
            assert (await RedisRunner(queue).run(python("print('next')"), group="s")).stdout == "next\n"
        assert worker.jobs_done >= 2


async def test_forged_reports_through_a_worker_are_tampered(
    queue: RunQueue, engine: BwrapEngine, catalogue: LanguageCatalogue
) -> None:
    """The Executor's test runs over Redis: the run's key travels with the job to the worker's
    guard, the seal back with the results; a report written by the solution and an early exit,
    or a child that outlives the tests to rewrite the report, make the run tampered."""
    executor = Executor(catalogue, RedisRunner(queue))
    sample = SAMPLES["python"]
    wrong = "".join(f"\ndef {name}(a, b):\n    return 0\n" for name in ("add", "sub", "mul", "div"))
    passing = "".join(
        json.dumps({"name": n, "status": "passed", "message": "", "duration_ms": 1}) + "\n"
        for n in sample.names
    )
    writes_and_exits = f"import os\nopen('/results/report.jsonl', 'a').write({passing!r})\nos._exit(0)\n"
    straggler = (
        "import os\nr, w = os.pipe()\nif os.fork() == 0:\n    os.close(w)\n    os.setsid()\n"
        f"    os.read(r, 1)\n    open('/results/report.jsonl', 'w').write({passing!r})\n    os._exit(0)\n"
        "os.close(r)\n"
    )
    async with workers(queue, engine, 1):
        for solution, evidence in [(writes_and_exits, "not finished"), (straggler, "outlived the tests")]:
            execution = await executor.run(
                ExecutionRequest(
                    "python",
                    {"main.py": (solution + wrong).encode(), "test_main.py": sample.tests.encode()},
                    mode="test",
                    expected_tests=sample.names,
                )
            )
            report = execution.tests
            assert report is not None and report.tampered and report.passed == 0, execution
            assert any(evidence in line for line in report.evidence), report.evidence
        honest = await executor.run(
            ExecutionRequest(
                "python",
                {"main.py": sample.solution.encode(), "test_main.py": sample.tests.encode()},
                mode="test",
                expected_tests=sample.names,
            )
        )
        assert honest.tests is not None and not honest.tests.tampered and honest.tests.passed == 2, honest
