"""Fan-out through Redis Streams: one stream per session, one reader loop per node.

Every node appends what its clients did (``XADD``, tagged with its node id) after it is committed,
and reads every subscribed stream with one blocking ``XREAD``; a change of subscriptions wakes
that read with ``CLIENT UNBLOCK``. Streams are at-least-once and ordered, unlike pub/sub, which
drops messages silently; history older than ``retention`` is trimmed (the database keeps it).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

import anyio
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server import tokens
from server.channels.fanout import SYNC, FanoutKind, FanoutMessage, Handler

logger = logging.getLogger(__name__)

#: A stream entry as redis-py returns it: (id, {field: value}).
Entry = tuple[bytes, dict[bytes, bytes]]

BLOCK_MS = 10_000
#: How much longer than its blocking read the reader's socket waits for an answer before it
#: counts the connection as lost (redis-py's own default, 5 s since 8.0, is shorter than the read).
READ_MARGIN_SECONDS = 5.0
UNBLOCK_ATTEMPTS = 500
READ_COUNT = 1000
MAX_OUTBOX = 100_000


class RedisFanout:
    def __init__(
        self,
        url: str,
        *,
        prefix: str = "duet",
        retention_seconds: float = 300.0,
        block_seconds: float = BLOCK_MS / 1000,
    ) -> None:
        self._url = url
        self._block_ms = int(block_seconds * 1000)
        self._prefix = prefix
        self._retention_ms = int(retention_seconds * 1000)
        self._expire_seconds = max(60, int(retention_seconds * 2))
        self.node_id = tokens.new_id().encode()
        self._subs: dict[str, tuple[str, Handler]] = {}  # stream key -> (last id, handler)
        self._outbox: deque[FanoutMessage] = deque()
        self._outbox_ready = anyio.Event()
        self._outbox_flushed = anyio.Event()  # set while nothing waits to be published
        self._outbox_flushed.set()
        self._subs_changed = anyio.Event()
        self._reader_id: int | None = None
        self._reading = False
        self._pool: aioredis.Redis | None = None

    def key(self, session_id: str, topic: str = SYNC) -> str:
        return f"{self._prefix}:{topic}:{session_id}"

    @property
    def pool(self) -> aioredis.Redis:
        if self._pool is None:
            raise RuntimeError("RedisFanout is not running")
        return self._pool

    # ---- the Fanout protocol -------------------------------------------------------------------

    async def position(self, session_id: str, topic: str = SYNC) -> str:
        last = cast(list[Entry], await self.pool.xrevrange(self.key(session_id, topic), count=1))
        return last[0][0].decode() if last else "0-0"

    async def subscribe(self, session_id: str, start: str, handler: Handler, topic: str = SYNC) -> None:
        self._subs[self.key(session_id, topic)] = (start or "0-0", handler)
        await self._wake_reader()

    async def unsubscribe(self, session_id: str, topic: str = SYNC) -> None:
        if self._subs.pop(self.key(session_id, topic), None) is not None:
            await self._wake_reader()

    def publish(self, message: FanoutMessage) -> None:
        if len(self._outbox) >= MAX_OUTBOX:
            logger.error(
                "redis fan-out outbox full; dropping a %s message",
                message.kind,
                extra={"session_id": message.session_id},
            )
            return
        self._outbox.append(message)
        if self._outbox_flushed.is_set():
            self._outbox_flushed = anyio.Event()
        self._outbox_ready.set()

    # ---- loops ---------------------------------------------------------------------------------

    async def _wake_reader(self) -> None:
        self._subs_changed.set()
        # CLIENT UNBLOCK only acts on a client that is already blocked: while the XREAD is still on
        # its way to Redis it is a no-op, so try again until the read has arrived or returned.
        for _ in range(UNBLOCK_ATTEMPTS):
            if not self._reading or self._reader_id is None:
                return
            if await self.pool.client_unblock(self._reader_id):
                return
            await anyio.sleep(0.002)

    async def _publisher(self) -> None:
        while True:
            await self._outbox_ready.wait()
            self._outbox_ready = anyio.Event()
            while self._outbox:
                batch = [self._outbox.popleft() for _ in range(min(len(self._outbox), 500))]
                minid = f"{int(time.time() * 1000) - self._retention_ms}-0"
                try:
                    async with self.pool.pipeline(transaction=False) as pipe:
                        for msg in batch:
                            key = self.key(msg.session_id, msg.topic)
                            pipe.xadd(
                                key,
                                {"n": self.node_id, "k": msg.kind.value, "d": msg.data},
                                minid=minid,
                                approximate=True,
                            )
                            # a session that goes quiet (or ends) leaves nothing behind in Redis
                            pipe.expire(key, self._expire_seconds)
                        await pipe.execute()
                except (RedisConnectionError, RedisTimeoutError) as exc:
                    logger.warning("redis fan-out publish failed, retrying: %s", exc)
                    self._outbox.extendleft(reversed(batch))
                    await anyio.sleep(0.5)
            self._outbox_flushed.set()

    async def _reader(self) -> None:
        # the socket timeout must outlast the blocking XREAD, or every quiet read "loses" the
        # connection: a reconnect and half a second of deafness every few seconds
        reader = aioredis.Redis.from_url(
            self._url,
            single_connection_client=True,
            socket_timeout=self._block_ms / 1000 + READ_MARGIN_SECONDS,
            socket_connect_timeout=READ_MARGIN_SECONDS,
        )
        try:
            while True:
                try:
                    self._reader_id = int(await reader.client_id())
                    await self._read_forever(reader)
                except (RedisConnectionError, RedisTimeoutError) as exc:
                    self._reading = False
                    logger.warning("redis fan-out reader lost its connection, reconnecting: %s", exc)
                    await anyio.sleep(0.5)
        finally:
            with anyio.CancelScope(shield=True):  # cancelled at shutdown: still close the socket
                await reader.aclose()

    async def _read_forever(self, reader: aioredis.Redis) -> None:
        while True:
            while not self._subs:  # a wake-up may come from a subscription already gone again
                self._subs_changed = anyio.Event()
                await self._subs_changed.wait()
            self._subs_changed = anyio.Event()
            streams = {key: last for key, (last, _) in self._subs.items()}
            self._reading = True
            try:
                response = cast(
                    list[tuple[bytes, list[Entry]]] | None,
                    await reader.xread(streams, count=READ_COUNT, block=self._block_ms),  # type: ignore[arg-type]
                )
            finally:
                self._reading = False
            for raw_key, entries in response or []:
                self._deliver(raw_key.decode(), entries)

    def _deliver(self, key: str, entries: list[Entry]) -> None:
        sub = self._subs.get(key)
        if sub is None:
            return
        handler = sub[1]
        topic, session_id = key[len(self._prefix) + 1 :].split(":", 1)
        for entry_id, fields in entries:
            self._subs[key] = (entry_id.decode(), handler)
            if fields.get(b"n") == self.node_id:
                continue
            try:
                kind = FanoutKind(fields[b"k"].decode())
            except (KeyError, ValueError):
                logger.warning("ignoring a malformed fan-out entry", extra={"session_id": session_id})
                continue
            try:
                handler(FanoutMessage(session_id, kind, fields.get(b"d", b""), topic))
            except Exception:  # one bad message must not stop this node hearing the others
                logger.exception(
                    "handling a %s fan-out message failed", kind, extra={"session_id": session_id}
                )

    async def ping(self) -> None:
        """Raises if Redis does not answer (what /healthz reports)."""
        await self.pool.ping()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[RedisFanout]:
        self._pool = aioredis.Redis.from_url(self._url)
        try:
            await self._pool.ping()
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._publisher)
                tg.start_soon(self._reader)
                try:
                    yield self
                finally:
                    with anyio.move_on_after(5):  # hand what is queued to Redis before leaving
                        await self._outbox_flushed.wait()
                    tg.cancel_scope.cancel()
        finally:
            await self._pool.aclose()
            self._pool = None
