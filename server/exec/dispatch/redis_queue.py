"""The Redis job queue between web nodes (which submit runs) and ``duet worker`` processes.

Keys, under ``{prefix}:exec:``:

- ``job:{id}``      the job (JSON: ``JobKind``, spec, interactive), until a worker claims it
- ``q:{group}``     the group's (session's) waiting job ids, oldest first
- ``ring``          the groups that have waiting jobs, in serving order: a claim takes the head
                    group's oldest job and sends the group to the back, so sessions take turns
- ``wake``          one token per enqueued job; idle workers block on it
- ``lease:{id}``    the claiming worker's id while it runs the job (expires if the worker dies)
- ``held:{id}``     held by the submitter while it follows the job (expires if its node dies: the
                    worker then stops the job, or skips it if it has not started)
- ``out:{id}``      stream worker -> submitter (``OutEntry`` entries): started, output chunks,
                    terminal output, result
- ``in:{id}``       stream submitter -> worker (``InEntry`` entries): stdin, end of input, stop,
                    terminal keys, resize
- ``alive``/``workers``  live workers (heartbeat times on Redis's clock) and what they run

Every multi-key change is one Lua script, so a job is never both claimed and cancelled, and a
group is in ``ring`` exactly when its queue is not empty. The scripts build key names from the
prefix: this needs a single Redis server, not Redis Cluster.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

import redis.asyncio as aioredis

#: A stream entry as redis-py returns it: (id, {field: value}).
_RawEntry = tuple[bytes, dict[bytes, bytes]]

LEASE_MS = 10_000  # a worker renews its lease every LEASE_MS / 4
HEARTBEAT_MS = 3_000
WORKER_TTL_MS = 10_000  # a worker not heard from for this long is gone
JOB_TTL_MS = 3_600_000  # a job nobody claimed or cancelled disappears after this
STREAM_TTL_S = 3_600  # the job's streams, in case nobody cleans them up


class JobKind(StrEnum):
    """What a job asks a worker for (the job's ``kind``)."""

    RUN = "run"
    TERMINAL = "terminal"


class JobStream(StrEnum):
    """A job's two streams."""

    OUT = "out"  # worker -> submitter: ``OutEntry`` entries
    IN = "in"  # submitter -> worker: ``InEntry`` entries


class OutEntry(StrEnum):
    """The entries of a job's ``out`` stream (their ``EntryField.TYPE``), with the fields they carry."""

    STARTED = "started"  # WORKER: a worker claimed the job and runs it
    OUTPUT = "out"  # STREAM ("stdout" or "stderr"), DATA: output as it is produced
    RESULT = "result"  # DATA: the RunResult (``wire.encode_result``); the run is over
    ERROR = "error"  # DATA: why the worker could not run the job
    TERMINAL_READY = "term-ready"  # the terminal is open
    TERMINAL_OUTPUT = "term-out"  # DATA: what the terminal printed
    TERMINAL_CLOSED = "term-closed"  # REASON: why the host ended it ("" when it did not)


class InEntry(StrEnum):
    """The entries of a job's ``in`` stream (their ``EntryField.TYPE``), with the fields they carry."""

    STDIN = "stdin"  # DATA: more of the program's input
    EOF = "eof"  # the input has ended
    STOP = "stop"  # end the run (or close the terminal) now
    WRITE = "write"  # DATA: keys for the terminal
    RESIZE = "resize"  # ROWS, COLS: the terminal's new size


class EntryField(StrEnum):
    """The field names of job-stream entries."""

    TYPE = "t"
    WORKER = "w"
    STREAM = "s"
    DATA = "d"
    REASON = "r"
    ROWS = "rows"
    COLS = "cols"


@dataclass(frozen=True, slots=True)
class JobEntry:
    """One entry of a job stream as read back: its stream id (the reader's cursor), its type
    (compare with ``OutEntry``/``InEntry`` members) and its fields by name."""

    id: bytes
    type: str
    fields: Mapping[str, bytes]

    @classmethod
    def of(cls, raw: _RawEntry) -> JobEntry:
        entry_id, fields = raw
        named = {name.decode(): value for name, value in fields.items()}
        return cls(entry_id, named.get(EntryField.TYPE, b"").decode(), named)

    def __getitem__(self, name: EntryField) -> bytes:
        return self.fields[name]

    def get(self, name: EntryField, default: bytes = b"") -> bytes:
        return self.fields.get(name, default)


_ENQUEUE = """
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
redis.call('SET', KEYS[5], '1', 'PX', ARGV[5])
redis.call('RPUSH', KEYS[2], ARGV[1])
if redis.call('LLEN', KEYS[2]) == 1 then redis.call('RPUSH', KEYS[3], ARGV[2]) end
redis.call('RPUSH', KEYS[4], '1')
redis.call('LTRIM', KEYS[4], -256, -1)
return 1
"""

_CANCEL = """
local removed = redis.call('LREM', KEYS[2], 0, ARGV[1])
if removed > 0 then
  redis.call('DEL', KEYS[1])
  if redis.call('LLEN', KEYS[2]) == 0 then redis.call('LREM', KEYS[3], 0, ARGV[2]) end
end
return removed
"""

_CLAIM = """
while true do
  local group = redis.call('LPOP', KEYS[1])
  if not group then return false end
  local queue = ARGV[1] .. 'q:' .. group
  local id = redis.call('LPOP', queue)
  if redis.call('LLEN', queue) > 0 then redis.call('RPUSH', KEYS[1], group) end
  if id then
    local job = redis.call('GET', ARGV[1] .. 'job:' .. id)
    if job then
      redis.call('DEL', ARGV[1] .. 'job:' .. id)
      redis.call('SET', ARGV[1] .. 'lease:' .. id, ARGV[2], 'PX', ARGV[3])
      return {id, job}
    end
  end
end
"""

# Served order is round-robin by depth: every group's first job, then every group's second...
# Ahead of a job at depth d in its group: d of its own, min(n, d) of every other group, and one
# more from each group before it in the ring that has more than d waiting.
_POSITION = """
local d = redis.call('LPOS', ARGV[1] .. 'q:' .. ARGV[3], ARGV[2])
if not d then return 0 end
local position = 1 + d
local before = true
for _, group in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if group == ARGV[3] then
    before = false
  else
    local n = redis.call('LLEN', ARGV[1] .. 'q:' .. group)
    position = position + math.min(n, d)
    if before and n > d then position = position + 1 end
  end
end
return position
"""

_HEARTBEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
return now
"""

_LIVE_WORKERS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[1]), '+inf')
if #ids == 0 then return {} end
return redis.call('HMGET', KEYS[2], unpack(ids))
"""


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    worker_id: str
    engine: str
    slots: int
    host: str
    versions: Mapping[str, str]

    def encode(self) -> str:
        return json.dumps(
            {
                "worker_id": self.worker_id,
                "engine": self.engine,
                "slots": self.slots,
                "host": self.host,
                "versions": dict(self.versions),
            }
        )

    @classmethod
    def decode(cls, raw: bytes) -> WorkerInfo:
        data = json.loads(raw)
        return cls(data["worker_id"], data["engine"], int(data["slots"]), data["host"], data["versions"])


@dataclass(frozen=True, slots=True)
class Claimed:
    job_id: str
    job: dict[str, Any]


class RunQueue:
    """The queue's operations, shared by submitters (``RedisRunner``) and workers (``Worker``)."""

    def __init__(self, redis: aioredis.Redis, prefix: str = "duet") -> None:
        self.redis = redis
        self.base = f"{prefix}:exec:"
        self._enqueue = redis.register_script(_ENQUEUE)
        self._cancel = redis.register_script(_CANCEL)
        self._claim = redis.register_script(_CLAIM)
        self._position = redis.register_script(_POSITION)
        self._heartbeat = redis.register_script(_HEARTBEAT)
        self._live = redis.register_script(_LIVE_WORKERS)

    def key(self, kind: str, name: str = "") -> str:
        return f"{self.base}{kind}:{name}" if name else f"{self.base}{kind}"

    # ---- submitters ----------------------------------------------------------------------------

    async def enqueue(self, job_id: str, group: str, job: dict[str, Any]) -> None:
        """Queue the job, held by its submitter for LEASE_MS (``hold`` renews it)."""
        keys = [
            self.key("job", job_id),
            self.key("q", group),
            self.key("ring"),
            self.key("wake"),
            self.key("held", job_id),
        ]
        await self._enqueue(keys=keys, args=[job_id, group, json.dumps(job), JOB_TTL_MS, LEASE_MS])

    async def hold(self, job_id: str) -> None:
        """The submitter still follows the job (renewed every LEASE_MS / 4)."""
        await self.redis.set(self.key("held", job_id), "1", px=LEASE_MS)

    async def held(self, job_id: str) -> bool:
        return bool(await self.redis.exists(self.key("held", job_id)))

    async def cancel(self, job_id: str, group: str) -> bool:
        """Take a job out of the queue; False if a worker has already claimed it."""
        keys = [self.key("job", job_id), self.key("q", group), self.key("ring")]
        return bool(await self._cancel(keys=keys, args=[job_id, group]))

    async def position(self, job_id: str, group: str) -> int:
        """1 for next to be served; 0 once it has left the queue."""
        return int(await self._position(keys=[self.key("ring")], args=[self.base, job_id, group]))

    async def leased(self, job_id: str) -> bool:
        return bool(await self.redis.exists(self.key("lease", job_id)))

    async def live_workers(self) -> list[WorkerInfo]:
        raw = await self._live(keys=[self.key("alive"), self.key("workers")], args=[WORKER_TTL_MS])
        return [WorkerInfo.decode(item) for item in cast(list[bytes | None], raw) if item]

    # ---- workers -------------------------------------------------------------------------------

    async def claim(self, worker_id: str) -> Claimed | None:
        found = await self._claim(keys=[self.key("ring")], args=[self.base, worker_id, LEASE_MS])
        if not found:
            return None
        job_id, raw = cast(list[bytes], found)
        return Claimed(job_id.decode(), json.loads(raw))

    async def wait_for_work(self, timeout_seconds: float) -> None:
        await self.redis.blpop([self.key("wake")], timeout=timeout_seconds)

    async def renew(self, job_id: str, worker_id: str) -> None:
        await self.redis.set(self.key("lease", job_id), worker_id, px=LEASE_MS)

    async def release(self, job_id: str) -> None:
        await self.redis.delete(self.key("lease", job_id))

    async def heartbeat(self, info: WorkerInfo) -> None:
        keys = [self.key("alive"), self.key("workers")]
        await self._heartbeat(keys=keys, args=[info.worker_id, info.encode(), WORKER_TTL_MS])

    async def leave(self, worker_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.key("alive"), worker_id)
            pipe.hdel(self.key("workers"), worker_id)
            await pipe.execute()

    # ---- the job's two streams -----------------------------------------------------------------

    async def send(
        self,
        job_id: str,
        entry: OutEntry | InEntry,
        fields: Mapping[EntryField, str | bytes | int] | None = None,
    ) -> None:
        """Append ``entry`` to its own stream: an ``OutEntry`` to the job's out stream, an
        ``InEntry`` to its in stream."""
        key = self.key(JobStream.OUT if isinstance(entry, OutEntry) else JobStream.IN, job_id)
        message = {EntryField.TYPE.value: entry.value} | {
            name.value: value for name, value in (fields or {}).items()
        }
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xadd(key, message)  # type: ignore[arg-type]
            pipe.expire(key, STREAM_TTL_S)
            await pipe.execute()

    async def receive(
        self, stream: JobStream, job_id: str, after: bytes, block_ms: int | None
    ) -> list[JobEntry]:
        """Entries after ``after`` (b"0-0" for all), waiting up to ``block_ms`` (None: not at all)."""
        reply = cast(
            list[tuple[bytes, list[_RawEntry]]],
            await self.redis.xread({self.key(stream, job_id): after}, block=block_ms, count=256),
        )
        return [JobEntry.of(raw) for raw in reply[0][1]] if reply else []

    async def forget(self, job_id: str, *, after_seconds: int = 0) -> None:
        """Drop (or expire soon) the job's streams once both sides are done with them."""
        keys = [self.key(JobStream.OUT, job_id), self.key(JobStream.IN, job_id)]
        if after_seconds <= 0:
            await self.redis.delete(*keys)
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.expire(key, after_seconds)
            await pipe.execute()
