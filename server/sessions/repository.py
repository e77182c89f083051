"""What the session service needs from storage. ``server.store`` implements it with SQLAlchemy."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from server.sessions.lifecycle import SessionState
from server.sessions.models import JoinLink, Participant, ParticipantAccess, Session
from server.sessions.roles import Role


class SessionRepository(Protocol):
    async def add_session(self, session: Session, links: Sequence[JoinLink]) -> None: ...

    async def get_session(self, session_id: str) -> Session | None: ...

    async def list_sessions(
        self,
        org_id: str,
        *,
        state: SessionState | None,
        limit: int,
        before: tuple[datetime, str] | None,
    ) -> Sequence[Session]:
        """Newest first; ``before`` is the (created_at, id) of the last item of the previous page."""
        ...

    async def set_state(
        self, session_id: str, expected: SessionState, target: SessionState, at: datetime
    ) -> Session | None:
        """Compare-and-set the state; returns the updated session, or None if it was not ``expected``."""
        ...

    async def links_for(self, session_id: str) -> Sequence[JoinLink]:
        """The current (not revoked) link of each role."""
        ...

    async def link_by_token_hash(self, token_hash: str) -> JoinLink | None: ...

    async def replace_link(self, old: JoinLink | None, new: JoinLink, at: datetime) -> None:
        """Revoke ``old`` (if given) and store ``new`` in one transaction."""
        ...

    async def revoke_link(self, link_id: str, at: datetime) -> None: ...

    async def add_participant(self, participant: Participant) -> None: ...

    async def access_by_token_hash(self, token_hash: str) -> ParticipantAccess | None:
        """The participant whose token has this digest, with its session and link, as of a read
        that started after the call (never an earlier answer kept for later)."""
        ...

    async def access_by_participant(self, participant_id: str) -> ParticipantAccess | None:
        """The same, by the participant's id (a member's pad token names it)."""
        ...

    async def participant(self, participant_id: str) -> Participant | None: ...

    async def count_participants(self, session_id: str, roles: Collection[Role]) -> int: ...

    async def participant_for_user(self, session_id: str, user_id: str, role: Role) -> Participant | None: ...

    async def participants(self, session_id: str) -> Sequence[Participant]: ...

    async def link(self, link_id: str) -> JoinLink | None: ...
