"""RedisFanout against real Redis: two nodes in one process, each with its own connections."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import anyio
import pytest

from server.channels.fanout import CONTROL, FanoutKind, FanoutMessage
from server.channels.redis_fanout import BLOCK_MS, RedisFanout
from tests.support.redis_server import redis_url, unique_prefix

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[FanoutMessage] = []
        self._arrived = anyio.Event()

    def __call__(self, message: FanoutMessage) -> None:
        self.messages.append(message)
        self._arrived.set()
        self._arrived = anyio.Event()

    async def wait_for(self, count: int, within: float) -> None:
        with anyio.fail_after(within):
            while len(self.messages) < count:
                await self._arrived.wait()


@pytest.fixture
async def nodes() -> AsyncIterator[tuple[RedisFanout, RedisFanout]]:
    prefix = unique_prefix()
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(RedisFanout(redis_url(), prefix=prefix).running())
        b = await stack.enter_async_context(RedisFanout(redis_url(), prefix=prefix).running())
        yield a, b
        keys = [key async for key in a.pool.scan_iter(f"{prefix}:*")]
        if keys:
            await a.pool.delete(*keys)


async def test_messages_cross_nodes_and_streams_expire(nodes: tuple[RedisFanout, RedisFanout]) -> None:
    a, b = nodes
    inbox_a, inbox_b = Inbox(), Inbox()
    await a.subscribe("s1", await a.position("s1"), inbox_a)
    await b.subscribe("s1", await b.position("s1"), inbox_b)
    a.publish(FanoutMessage("s1", FanoutKind.UPDATE, b"from a"))
    await inbox_b.wait_for(1, within=5)
    assert [(m.kind, m.data) for m in inbox_b.messages] == [(FanoutKind.UPDATE, b"from a")]
    assert inbox_a.messages == []  # a node does not hear itself
    ttl = await a.pool.ttl(a.key("s1"))
    assert 0 < ttl <= 600  # a quiet session's stream goes away


async def test_a_new_subscription_wakes_a_blocked_reader_at_once(
    nodes: tuple[RedisFanout, RedisFanout],
) -> None:
    a, b = nodes
    await a.subscribe("busy", "0-0", Inbox())  # a's reader now blocks on this stream
    for attempt in range(5):  # subscriptions in quick succession: the reader is between reads
        inboxes = {f"new-{attempt}-{i}": Inbox() for i in range(3)}
        for session, inbox in inboxes.items():
            await a.subscribe(session, "0-0", inbox)
        for session in inboxes:
            b.publish(FanoutMessage(session, FanoutKind.UPDATE, b"x"))
        # well before the reader's own timeout would have brought the new streams in
        for inbox in inboxes.values():
            await inbox.wait_for(1, within=BLOCK_MS / 1000 / 3)


async def test_subscriptions_that_come_and_go_do_not_stop_the_reader(
    nodes: tuple[RedisFanout, RedisFanout],
) -> None:
    a, b = nodes
    for _ in range(20):  # the reader sees "changed" with nothing subscribed, repeatedly
        await a.subscribe("flicker", "0-0", Inbox(), CONTROL)
        await a.unsubscribe("flicker", CONTROL)
    inbox = Inbox()
    await a.subscribe("after", await a.position("after", CONTROL), inbox, CONTROL)
    b.publish(FanoutMessage("after", FanoutKind.EVENT, b"still reading", CONTROL))
    await inbox.wait_for(1, within=5)
    assert inbox.messages[0].topic == CONTROL


@pytest.mark.slow
async def test_a_quiet_reader_keeps_its_connection(caplog: pytest.LogCaptureFixture) -> None:
    """A blocking read that returns nothing after its full time is not a lost connection. With
    redis-py 8 (a 5 s socket timeout by default) each quiet XREAD of BLOCK_MS used to end in a
    timeout, a reconnect and half a second in which this node heard nobody."""
    prefix = unique_prefix()
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(
            RedisFanout(redis_url(), prefix=prefix, block_seconds=5.5).running()
        )
        b = await stack.enter_async_context(RedisFanout(redis_url(), prefix=prefix).running())
        inbox = Inbox()
        await a.subscribe("quiet", await a.position("quiet"), inbox)
        await anyio.sleep(6.5)  # one whole quiet read, past redis-py's default socket timeout
        b.publish(FanoutMessage("quiet", FanoutKind.UPDATE, b"after the quiet"))
        await inbox.wait_for(1, within=1)
        await a.pool.delete(a.key("quiet"))
    assert not [r.getMessage() for r in caplog.records if "lost its connection" in r.getMessage()]
