"""SQLAlchemy implementation of ``server.sessions.repository.SessionRepository``."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from server.sessions.lifecycle import SessionState
from server.sessions.models import JoinLink, Participant, ParticipantAccess, Session
from server.sessions.roles import Role
from server.store.batching import BatchedLookup
from server.store.database import Database
from server.store.tables import JoinLinkRow, ParticipantRow, SessionRow


def _session(row: SessionRow) -> Session:
    return Session(
        id=row.id,
        org_id=row.org_id,
        title=row.title,
        language=row.language,
        state=SessionState(row.state),
        created_by=row.created_by,
        created_at=row.created_at,
        started_at=row.started_at,
        ended_at=row.ended_at,
    )


def _link(row: JoinLinkRow) -> JoinLink:
    return JoinLink(
        id=row.id,
        session_id=row.session_id,
        role=Role(row.role),
        nonce=row.nonce,
        token_hash=row.token_hash,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


def _link_row(link: JoinLink) -> JoinLinkRow:
    return JoinLinkRow(
        id=link.id,
        session_id=link.session_id,
        role=link.role.value,
        nonce=link.nonce,
        token_hash=link.token_hash,
        created_at=link.created_at,
        expires_at=link.expires_at,
        revoked_at=link.revoked_at,
    )


def _participant(row: ParticipantRow) -> Participant:
    return Participant(
        id=row.id,
        session_id=row.session_id,
        role=Role(row.role),
        display_name=row.display_name,
        nonce=row.nonce,
        token_hash=row.token_hash,
        joined_at=row.joined_at,
        user_id=row.user_id,
        link_id=row.link_id,
    )


class SqlSessionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        # every pad socket's token is checked through these: a node's clients reconnecting at
        # once share a few queries (server/store/batching.py)
        self._access_by_token: BatchedLookup[str, ParticipantAccess] = BatchedLookup(
            lambda hashes: self._access(ParticipantRow.token_hash, hashes)
        )
        self._access_by_id: BatchedLookup[str, ParticipantAccess] = BatchedLookup(
            lambda ids: self._access(ParticipantRow.id, ids)
        )

    async def add_session(self, session: Session, links: Sequence[JoinLink]) -> None:
        async with self._db.transaction() as tx:
            tx.add(session_row(session))
            await tx.flush()
            tx.add_all([_link_row(link) for link in links])

    async def get_session(self, session_id: str) -> Session | None:
        async with self._db.session() as tx:
            row = await tx.get(SessionRow, session_id)
            return _session(row) if row else None

    async def list_sessions(
        self,
        org_id: str,
        *,
        state: SessionState | None,
        limit: int,
        before: tuple[datetime, str] | None,
    ) -> Sequence[Session]:
        stmt = select(SessionRow).where(SessionRow.org_id == org_id)
        if state is not None:
            stmt = stmt.where(SessionRow.state == state.value)
        if before is not None:
            at, last_id = before
            stmt = stmt.where(
                or_(SessionRow.created_at < at, and_(SessionRow.created_at == at, SessionRow.id < last_id))
            )
        stmt = stmt.order_by(SessionRow.created_at.desc(), SessionRow.id.desc()).limit(limit)
        async with self._db.session() as tx:
            return [_session(row) for row in (await tx.execute(stmt)).scalars()]

    async def set_state(
        self, session_id: str, expected: SessionState, target: SessionState, at: datetime
    ) -> Session | None:
        values: dict[str, object] = {"state": target.value}
        if target is SessionState.LIVE:
            values["started_at"] = at
        if target is SessionState.ENDED:
            values["ended_at"] = at
        async with self._db.transaction() as tx:
            result = await tx.execute(
                update(SessionRow)
                .where(SessionRow.id == session_id, SessionRow.state == expected.value)
                .values(**values)
            )
            if not getattr(result, "rowcount", 0):
                return None
            row = await tx.get(SessionRow, session_id, populate_existing=True)
            return _session(row) if row else None

    async def links_for(self, session_id: str) -> Sequence[JoinLink]:
        stmt = (
            select(JoinLinkRow)
            .where(JoinLinkRow.session_id == session_id, JoinLinkRow.revoked_at.is_(None))
            .order_by(JoinLinkRow.created_at)
        )
        async with self._db.session() as tx:
            return [_link(row) for row in (await tx.execute(stmt)).scalars()]

    async def link_by_token_hash(self, token_hash: str) -> JoinLink | None:
        async with self._db.session() as tx:
            stmt = select(JoinLinkRow).where(JoinLinkRow.token_hash == token_hash)
            row = (await tx.execute(stmt)).scalar_one_or_none()
            return _link(row) if row else None

    async def link(self, link_id: str) -> JoinLink | None:
        async with self._db.session() as tx:
            row = await tx.get(JoinLinkRow, link_id)
            return _link(row) if row else None

    async def replace_link(self, old: JoinLink | None, new: JoinLink, at: datetime) -> None:
        async with self._db.transaction() as tx:
            if old is not None:
                await tx.execute(update(JoinLinkRow).where(JoinLinkRow.id == old.id).values(revoked_at=at))
            tx.add(_link_row(new))

    async def revoke_link(self, link_id: str, at: datetime) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                update(JoinLinkRow)
                .where(JoinLinkRow.id == link_id, JoinLinkRow.revoked_at.is_(None))
                .values(revoked_at=at)
            )

    async def add_participant(self, participant: Participant) -> None:
        async with self._db.transaction() as tx:
            tx.add(
                ParticipantRow(
                    id=participant.id,
                    session_id=participant.session_id,
                    role=participant.role.value,
                    display_name=participant.display_name,
                    nonce=participant.nonce,
                    token_hash=participant.token_hash,
                    joined_at=participant.joined_at,
                    user_id=participant.user_id,
                    link_id=participant.link_id,
                )
            )

    async def access_by_token_hash(self, token_hash: str) -> ParticipantAccess | None:
        return await self._access_by_token.get(token_hash)

    async def access_by_participant(self, participant_id: str) -> ParticipantAccess | None:
        return await self._access_by_id.get(participant_id)

    async def _access(
        self, key: InstrumentedAttribute[str], values: Sequence[str]
    ) -> dict[str, ParticipantAccess]:
        """Participants whose ``key`` is among ``values``, each with its session and its link's
        state, in one statement."""
        stmt = (
            select(ParticipantRow, SessionRow, JoinLinkRow.id, JoinLinkRow.revoked_at)
            .join(SessionRow, SessionRow.id == ParticipantRow.session_id)
            .outerjoin(JoinLinkRow, JoinLinkRow.id == ParticipantRow.link_id)
            .where(key.in_(values))
        )
        async with self._db.session() as tx:
            rows = (await tx.execute(stmt)).all()
        found = {}
        for participant_row, session_row, link_id, revoked_at in rows:
            participant = _participant(participant_row)
            link_revoked = participant.link_id is not None and (link_id is None or revoked_at is not None)
            found[getattr(participant_row, key.key)] = ParticipantAccess(
                participant, _session(session_row), link_revoked
            )
        return found

    async def participant(self, participant_id: str) -> Participant | None:
        async with self._db.session() as tx:
            row = await tx.get(ParticipantRow, participant_id)
            return _participant(row) if row else None

    async def count_participants(self, session_id: str, roles: Collection[Role]) -> int:
        stmt = select(func.count()).where(
            ParticipantRow.session_id == session_id, ParticipantRow.role.in_([r.value for r in roles])
        )
        async with self._db.session() as tx:
            return int((await tx.execute(stmt)).scalar_one())

    async def participant_for_user(self, session_id: str, user_id: str, role: Role) -> Participant | None:
        stmt = select(ParticipantRow).where(
            ParticipantRow.session_id == session_id,
            ParticipantRow.user_id == user_id,
            ParticipantRow.role == role.value,
        )
        async with self._db.session() as tx:
            row = (await tx.execute(stmt.limit(1))).scalar_one_or_none()
            return _participant(row) if row else None

    async def participants(self, session_id: str) -> Sequence[Participant]:
        stmt = (
            select(ParticipantRow)
            .where(ParticipantRow.session_id == session_id)
            .order_by(ParticipantRow.joined_at)
        )
        async with self._db.session() as tx:
            return [_participant(row) for row in (await tx.execute(stmt)).scalars()]


def session_row(session: Session) -> SessionRow:
    return SessionRow(
        id=session.id,
        org_id=session.org_id,
        title=session.title,
        language=session.language,
        state=session.state.value,
        created_by=session.created_by,
        created_at=session.created_at,
        started_at=session.started_at,
        ended_at=session.ended_at,
    )
