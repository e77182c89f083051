"""The live-session model: Session, JoinLink, Participant. Plain frozen data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.sessions.lifecycle import SessionState
from server.sessions.roles import Role


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    org_id: str
    title: str
    language: str
    state: SessionState
    created_by: str | None
    created_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def read_only(self) -> bool:
        return self.state is SessionState.ENDED


@dataclass(frozen=True, slots=True)
class JoinLink:
    """One role's way into one session. The token itself is never stored, only its digest."""

    id: str
    session_id: str
    role: Role
    nonce: str
    token_hash: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True)
class Participant:
    """Someone who joined a session through a link (or as the org member who owns it)."""

    id: str
    session_id: str
    role: Role
    display_name: str
    nonce: str
    token_hash: str
    joined_at: datetime
    user_id: str | None = None
    link_id: str | None = None


@dataclass(frozen=True, slots=True)
class ParticipantAccess:
    """What checking a participant's pad token reads, in one look-up: the participant, its
    session, and whether the join link it came through is still good."""

    participant: Participant
    session: Session
    #: It came through a join link that has since been revoked (or no longer exists).
    link_revoked: bool


@dataclass(frozen=True, slots=True)
class IssuedLink:
    """A join link together with its token, as shown to people allowed to see it."""

    link: JoinLink
    token: str


@dataclass(frozen=True, slots=True)
class Admission:
    """The result of joining: the participant and the bearer token it authenticates with."""

    participant: Participant
    token: str
    session: Session
