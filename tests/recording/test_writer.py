"""The event writer's group commit on a real database (SQLite and PostgreSQL): order, callbacks,
and what a failed batch takes with it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest

from server.errors import Unavailable
from server.recording.events import EventKind, NewEvent
from server.recording.writer import Done, EventWriter
from server.settings import Settings
from server.store.recording_repository import SqlRecordingLog
from server.web.services import running_services

pytestmark = pytest.mark.anyio


@dataclass
class Outcomes:
    """What ``submit`` callbacks reported, by label; ``settled`` is set once ``expected`` did."""

    expected: int
    seen: dict[str, BaseException | None] = field(default_factory=dict)
    settled: anyio.Event = field(default_factory=anyio.Event)

    def callback(self, label: str) -> Done:
        def done(error: BaseException | None) -> None:
            self.seen[label] = error
            if len(self.seen) == self.expected:
                self.settled.set()

        return done

    async def wait(self) -> dict[str, BaseException | None]:
        with anyio.fail_after(10):
            await self.settled.wait()
        return self.seen


@pytest.fixture
async def two_sessions(settings: Settings) -> AsyncIterator[tuple[SqlRecordingLog, str, str]]:
    async with running_services(settings) as svc:
        org = await svc.accounts.default_organization()
        first, _ = await svc.sessions.create(org_id=org.id, title="a", language="python", created_by=None)
        second, _ = await svc.sessions.create(org_id=org.id, title="b", language="python", created_by=None)
        yield svc.recording, first.id, second.id


class StartTimes:
    """The real log, noting when each of its transactions started (event-loop clock)."""

    def __init__(self, log: SqlRecordingLog) -> None:
        self._log = log
        self.starts: list[float] = []

    async def append(self, events: Sequence[NewEvent]) -> list[int]:
        self.starts.append(anyio.current_time())
        return await self._log.append(events)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._log, name)


def update(session_id: str, n: int) -> NewEvent:
    return NewEvent(session_id, EventKind.DOC_UPDATE, bytes([n]) * 3, author="someone")


async def test_events_commit_in_order_and_report_once_durable(
    two_sessions: tuple[SqlRecordingLog, str, str],
) -> None:
    log, first, second = two_sessions
    outcomes = Outcomes(expected=20)
    async with EventWriter(log, max_batch=7).running() as writer:
        for n in range(20):
            writer.submit(update(first if n % 2 else second, n), outcomes.callback(f"e{n}"))
        seen = await outcomes.wait()
        assert all(error is None for error in seen.values())
        # a callback runs only once its event is in the database
        stored = [*await log.read(first), *await log.read(second)]
        assert sorted(e.data[0] for e in stored) == list(range(20))
        assert [e.data[0] for e in sorted(stored, key=lambda e: e.id)] == list(range(20))
        assert writer.batches == 3  # 7 + 7 + 6
        assert await writer.append(update(first, 99)) > max(e.id for e in stored)


async def test_a_failed_batch_fails_what_is_queued_behind_it_for_the_same_session(
    two_sessions: tuple[SqlRecordingLog, str, str],
) -> None:
    log, first, second = two_sessions
    outcomes = Outcomes(expected=4)
    async with EventWriter(log, max_batch=1).running() as writer:
        # a session that does not exist violates the foreign key: a real failed transaction
        writer.submit(update("no-such-session", 1), outcomes.callback("bad"))
        writer.submit(update("no-such-session", 2), outcomes.callback("behind it"))
        writer.submit(update(second, 3), outcomes.callback("other session"))
        writer.submit(update(first, 4), outcomes.callback("first"))
        seen = await outcomes.wait()
        assert seen["bad"] is not None and seen["behind it"] is not None
        assert seen["other session"] is None and seen["first"] is None
        assert [e.data[0] for e in await log.read(second)] == [3]
        with pytest.raises(Unavailable):
            await writer.append(update("no-such-session", 5))
        # the writer (and its database connection) carries on after a failure
        assert await writer.append(update(first, 6)) > 0
        assert [e.data[0] for e in await log.read(first)] == [4, 6]


async def test_a_failing_callback_does_not_stop_the_writer(
    two_sessions: tuple[SqlRecordingLog, str, str],
) -> None:
    log, first, _ = two_sessions

    def broken(_: BaseException | None) -> None:
        raise RuntimeError("a caller's bug")

    async with EventWriter(log).running() as writer:
        writer.submit(update(first, 1), broken)
        assert await writer.append(update(first, 2)) > 0
    assert [e.data[0] for e in await log.read(first)] == [1, 2]


async def test_events_queued_at_shutdown_are_committed(
    two_sessions: tuple[SqlRecordingLog, str, str],
) -> None:
    log, first, _ = two_sessions
    async with EventWriter(log).running() as writer:
        for n in range(5):
            writer.append_nowait(update(first, n))
    assert [e.data[0] for e in await log.read(first)] == list(range(5))
    writer.append_nowait(update(first, 9))  # best effort: dropped once stopped, never an error
    with pytest.raises(Unavailable):
        await writer.append(update(first, 9))
    assert len(await log.read(first)) == 5


async def test_commits_are_spaced_by_the_commit_interval(
    two_sessions: tuple[SqlRecordingLog, str, str],
) -> None:
    """The interval runs from one commit's start to the next's (however long the commit took)."""
    real, first, _ = two_sessions
    log = StartTimes(real)
    async with EventWriter(log, commit_interval=0.2).running() as writer:
        await writer.append(update(first, 0))  # one commit now; the next may start 0.2 s later
        outcomes = Outcomes(expected=10)
        for n in range(1, 11):
            writer.submit(update(first, n), outcomes.callback(str(n)))
        await outcomes.wait()
        assert len(log.starts) == 2
        # asyncio may wake a timer up to its clock's resolution early
        assert log.starts[1] - log.starts[0] >= 0.2 - 0.01
        assert writer.batches == 2  # the ten queued meanwhile went in one transaction
