"""The composition root: builds every service from Settings and owns their lifetimes."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio

from server.accounts.permissions import can_interview
from server.accounts.service import AccountService
from server.archives.erasure import RecordingEraser
from server.archives.service import ArchiveService
from server.audit.service import AuditService
from server.channels.fanout import Fanout, LocalFanout
from server.channels.redis_fanout import RedisFanout
from server.channels.revocation import AccessRevoker
from server.channels.sockets import LiveSockets
from server.control.hub import ControlHub
from server.errors import Forbidden, Unauthenticated
from server.exec.dispatch.choice import open_runner
from server.exec.executor import Executor, limits_from
from server.exec.runtime.languages import load_catalogue
from server.hiring.attempts import AttemptService
from server.hiring.content_repository import ContentRepository
from server.hiring.invitations import InvitationService
from server.hiring.judge import Judge
from server.hiring.outbox import MailOutbox
from server.hiring.smtp_mailer import SmtpMailer
from server.media.files import MediaDirectory
from server.media.hub import MediaHub, media_root
from server.playback.service import PlaybackService
from server.recording.budget import RecordingBudget
from server.recording.writer import EventWriter
from server.reviews.service import ReviewService
from server.sessions.models import Session
from server.sessions.roles import Role
from server.sessions.service import SessionService
from server.settings import Settings
from server.store.account_repository import SqlAccountRepository
from server.store.archive_repository import SqlArchiveStore
from server.store.audit_repository import SqlAuditLog
from server.store.database import Database
from server.store.erasure_repository import SqlRecordingEraser
from server.store.migrate import upgrade
from server.store.playback_repository import SqlPlaybackStore
from server.store.recording_repository import SqlRecordingLog
from server.store.review_repository import SqlScorecardRepository
from server.store.session_repository import SqlSessionRepository
from server.sync.rooms import RoomRegistry
from server.sync.service import SyncService
from server.web.account_services import live_sockets
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
    fanout: Fanout
    rooms: RoomRegistry
    sync: SyncService
    executor: Executor
    control: ControlHub
    media: MediaHub
    sockets: LiveSockets
    revoker: AccessRevoker
    reviews: ReviewService
    audit: AuditService
    eraser: RecordingEraser
    archives: ArchiveService
    playback: PlaybackService
    content: ContentRepository
    outbox: MailOutbox
    invitations: InvitationService
    attempts: AttemptService

    async def end_session(self, session_id: str, *, org_id: str) -> Session:
        """End a session: its room becomes read-only and nobody runs code on any node; its
        guests' sockets close (the session service reports the end to the revoker)."""
        session = await self.sessions.end(session_id, org_id=org_id)
        self.sync.session_ended(session.id)
        self.control.session_ended(session.id)
        self.playback.session_ended(session)
        return session


class MemberAccess:
    """The session service's ``MemberDirectory`` over the accounts service: a member's pad token
    is good while their sign-in lasts, in their organization, in a role they may still hold."""

    def __init__(self, accounts: AccountService) -> None:
        self._accounts = accounts

    async def member_access(self, *, user_id: str, login_id: str, org_id: str, role: Role) -> datetime:
        principal, expires_at = await self._accounts.login_access(login_id)
        if principal.user.id != user_id or principal.org_id != org_id:
            raise Unauthenticated("sign in again to open this session")
        if role is Role.INTERVIEWER and not can_interview(principal.role):
            raise Forbidden("your role no longer allows you to interview")
        return expires_at


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
        sockets = live_sockets(settings)
        revoker = await stack.enter_async_context(AccessRevoker(sockets, fanout).running())
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
        executor = Executor(load_catalogue(), runner, maxima=limits_from(settings))
        budget = RecordingBudget(settings.recording_bytes_per_minute)
        control = await stack.enter_async_context(
            ControlHub(executor, rooms, events, recording, fanout, settings, budget).running()
        )
        media = await stack.enter_async_context(MediaHub(settings, events).running())
        control.carries_media(media)
        media_files = MediaDirectory(media_root(settings))
        playback = await stack.enter_async_context(PlaybackService(SqlPlaybackStore(db)).running())
        accounts = AccountService(
            SqlAccountRepository(db), login_ttl=timedelta(hours=settings.login_ttl_hours), access=revoker
        )
        content = ContentRepository(db)
        mailer = SmtpMailer(settings)
        outbox = await stack.enter_async_context(
            MailOutbox(
                db,
                mailer if mailer.configured else None,
                max_attempts=settings.mail_max_attempts,
                retry_seconds=settings.mail_retry_seconds,
            ).running()
        )
        sessions = SessionService(
            SqlSessionRepository(db),
            secret_key=settings.secret_key,
            link_ttl=timedelta(hours=settings.join_link_ttl_hours),
            participant_ttl=timedelta(hours=settings.participant_ttl_hours),
            max_guests=settings.session_max_guests,
            access=revoker,
            members=MemberAccess(accounts),
        )
        ended: list[Services] = []  # the attempts end their sessions through the services below

        async def end_attempt_session(session_id: str, org_id: str) -> object:
            return await ended[0].end_session(session_id, org_id=org_id)

        judge = Judge(executor, anyio.CapacityLimiter(max(1, settings.exec_slots or (os.cpu_count() or 1))))
        attempts = await stack.enter_async_context(
            AttemptService(
                db, content, sessions, judge, executor.catalogue, end_session=end_attempt_session
            ).running()
        )
        services = Services(
            settings=settings,
            db=db,
            accounts=accounts,
            sessions=sessions,
            login_throttle=LoginThrottle(),
            recording=recording,
            events=events,
            fanout=fanout,
            rooms=rooms,
            sync=SyncService(settings, rooms, events, fanout, budget),
            executor=executor,
            control=control,
            media=media,
            sockets=sockets,
            revoker=revoker,
            reviews=ReviewService(SqlScorecardRepository(db)),
            audit=AuditService(SqlAuditLog(db)),
            eraser=RecordingEraser(SqlRecordingEraser(db), media=media_files),
            archives=ArchiveService(
                SqlArchiveStore(db), max_document_bytes=settings.sync_max_document_bytes, media=media_files
            ),
            playback=playback,
            content=content,
            outbox=outbox,
            invitations=InvitationService(
                db,
                content,
                secret_key=settings.secret_key,
                base_url=settings.effective_base_url,
                ttl=timedelta(days=settings.invitation_ttl_days),
                public_starts_per_hour=settings.public_link_starts_per_hour,
                poke_outbox=outbox.poke,
            ),
            attempts=attempts,
        )
        ended.append(services)
        control.ends_sessions_with(services)  # `session.end` on the control channel
        yield services
