"""Playback's entry point: the queries, with the seek points extended first (lazily), and the
points of a session that ended built in the background.

Who may play a session back is the web layer's check (members of the session's organization;
reviewers once it ended); this module answers for a session it is handed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from server.errors import DuetError
from server.playback.model import EventPage, PlaybackState, Timeline
from server.playback.ranges import events_between
from server.playback.seek import SeekIndex
from server.playback.state import state_at
from server.playback.store import PlaybackStore
from server.playback.timeline import timeline
from server.sessions.models import Session

logger = logging.getLogger(__name__)

#: Ended sessions waiting for their points; more are left to the first query.
QUEUE = 256
#: Documents built at once for states (the rest wait): each takes a core and its memory.
BUILDS = 4


def _ms(session: Session) -> int | None:
    return int(session.ended_at.timestamp() * 1000) if session.ended_at is not None else None


class PlaybackService:
    def __init__(self, store: PlaybackStore, seek: SeekIndex | None = None, *, builds: int = BUILDS) -> None:
        """Made inside the event loop (its limiter belongs to it)."""
        self.store = store
        self.seek = seek or SeekIndex(store)
        self.builds = anyio.CapacityLimiter(builds)
        self._send: MemoryObjectSendStream[Session] | None = None

    async def timeline(self, session: Session) -> Timeline:
        await self.seek.ensure(session.id, ended_ms=_ms(session))
        return await timeline(self.store, session)

    async def state(self, session: Session, t: int) -> PlaybackState:
        await self.seek.ensure(session.id, ended_ms=_ms(session))
        return await state_at(self.store, session.id, t, limiter=self.builds)

    async def events(
        self, session: Session, *, ts_from: int, ts_to: int, after: int, limit: int
    ) -> EventPage:
        await self.seek.ensure(session.id, ended_ms=_ms(session))
        return await events_between(
            self.store, session.id, ts_from=ts_from, ts_to=ts_to, after=after, limit=limit
        )

    def session_ended(self, session: Session) -> None:
        """Build the session's points soon (what is younger than the margin is left to the first
        query); dropped with a warning when too many wait."""
        if self._send is None:
            return
        try:
            self._send.send_nowait(session)
        except anyio.WouldBlock:
            logger.warning("playback indexing queue full", extra={"session_id": session.id})

    async def _index(self, receive: MemoryObjectReceiveStream[Session]) -> None:
        async with receive:
            async for session in receive:
                try:
                    await self.seek.extend(session.id, ended_ms=_ms(session))
                except DuetError:  # the database is away: the first query builds them
                    logger.warning("indexing an ended session failed", extra={"session_id": session.id})

    @asynccontextmanager
    async def running(self) -> AsyncIterator[PlaybackService]:
        send, receive = anyio.create_memory_object_stream[Session](QUEUE)
        async with anyio.create_task_group() as tg, send:
            tg.start_soon(self._index, receive)
            self._send = send
            try:
                yield self
            finally:
                self._send = None
                tg.cancel_scope.cancel()
