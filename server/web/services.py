"""The composition root: builds every service from Settings and owns their lifetimes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from server.accounts.service import AccountService
from server.console.hub import ConsoleHub
from server.exec.engine import limits_from
from server.exec.executor import Executor
from server.exec.languages import load_registry
from server.exec.runners import open_runner
from server.recording.writer import EventWriter
from server.sessions.models import Session
from server.sessions.service import SessionService
from server.settings import Settings
from server.store.account_repository import SqlAccountRepository
from server.store.database import Database
from server.store.migrate import upgrade
from server.store.recording_repository import SqlRecordingLog
from server.store.session_repository import SqlSessionRepository
from server.sync.fanout import Fanout, LocalFanout
from server.sync.redis_fanout import RedisFanout
from server.sync.rooms import RoomRegistry
from server.sync.service import SyncService
from server.web.login_throttle import LoginThrottle


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    db: Database
    accounts: AccountService
    sessions: SessionService
    login_throttle: LoginThrottle
    recording: SqlRecordingLog
    events: EventWriter
    sync: SyncService
    executor: Executor
    console: ConsoleHub

    async def end_session(self, session_id: str, *, org_id: str) -> Session:
        """End a session and make its live room read-only on every node."""
        session = await self.sessions.end(session_id, org_id=org_id)
        self.sync.session_ended(session.id)
        self.console.session_ended(session.id)
        return session


@asynccontextmanager
async def running_services(settings: Settings, *, migrate: bool = True) -> AsyncIterator[Services]:
    """Open the database (migrating it first), then start every long-lived service on top of it;
    on exit they stop in reverse order (rooms compact, queued events commit)."""
    async with AsyncExitStack() as stack:
        db = await stack.enter_async_context(Database(settings.effective_database_url))
        if migrate:
            await upgrade(db)
        recording = SqlRecordingLog(db)
        events = await stack.enter_async_context(
            EventWriter(recording, commit_interval=settings.event_commit_interval_ms / 1000).running()
        )
        fanout: Fanout = LocalFanout()
        if settings.redis_url:
            fanout = await stack.enter_async_context(
                RedisFanout(settings.redis_url, prefix=settings.redis_prefix).running()
            )
        rooms = await stack.enter_async_context(
            RoomRegistry(
                recording,
                events,
                fanout,
                grace_seconds=settings.sync_room_grace_seconds,
                snapshot_every=settings.sync_snapshot_every,
                snapshot_margin_seconds=settings.sync_snapshot_margin_seconds,
            ).running()
        )
        runner = await stack.enter_async_context(open_runner(settings))
        executor = Executor(load_registry(), runner, maxima=limits_from(settings))
        console = await stack.enter_async_context(
            ConsoleHub(executor, rooms, events, recording, fanout).running()
        )
        yield Services(
            settings=settings,
            db=db,
            accounts=AccountService(
                SqlAccountRepository(db), login_ttl=timedelta(hours=settings.login_ttl_hours)
            ),
            sessions=SessionService(
                SqlSessionRepository(db),
                secret_key=settings.secret_key,
                link_ttl=timedelta(hours=settings.join_link_ttl_hours),
            ),
            login_throttle=LoginThrottle(),
            recording=recording,
            events=events,
            sync=SyncService(settings, rooms, events, fanout),
            executor=executor,
            console=console,
        )
