"""SessionService: create, list, show and end sessions; open links; admit participants.

Every rule about who may enter a session lives here, so the REST API, the pages and the
websockets all go through the same checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from server import tokens
from server.errors import Forbidden, Gone, InvalidInput, NotFound, RateLimited, Unauthenticated
from server.sessions.languages import is_known
from server.sessions.lifecycle import SessionState, transition
from server.sessions.models import Admission, IssuedLink, JoinLink, Participant, Session
from server.sessions.repository import SessionRepository
from server.sessions.roles import GUEST_ROLES, LINK_ROLES, MEMBER_ROLES, Role, can_join

Clock = Callable[[], datetime]

MAX_TITLE = 200
MAX_DISPLAY_NAME = 64
LINK_PURPOSE = "join-link"
PARTICIPANT_PURPOSE = "participant"
MEMBER_PURPOSE = "member-socket"
#: A member's pad token: ``m.<participant id>.<sign-in id>.<mac>`` (ids are hex, the MAC URL-safe
#: base64: none holds a dot).
MEMBER_TOKEN_PREFIX = "m."


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Credential:
    """An authenticated participant together with its session, as of now, and until when the
    token that proved it stays valid."""

    participant: Participant
    session: Session
    expires_at: datetime
    login_id: str | None = None  # the member's sign-in behind a member token


class AccessEvents(Protocol):
    """Told when access ends, so the sockets it opened close (``server.channels.revocation``)."""

    def link_revoked(self, link_id: str) -> None: ...

    def session_ended(self, session_id: str) -> None: ...


class MemberDirectory(Protocol):
    """Whether a member's sign-in still entitles them to a member role in a session
    (implemented over the accounts service by the composition root)."""

    async def member_access(self, *, user_id: str, login_id: str, org_id: str, role: Role) -> datetime:
        """When the sign-in ends; raises Unauthenticated (signed out, disabled) or Forbidden
        (no longer allowed that role)."""
        ...


class _NoAccessEvents:
    def link_revoked(self, link_id: str) -> None:
        return None

    def session_ended(self, session_id: str) -> None:
        return None


class _NoMembers:
    async def member_access(self, *, user_id: str, login_id: str, org_id: str, role: Role) -> datetime:
        raise Unauthenticated("members cannot sign in to pads here")


class SessionService:
    def __init__(
        self,
        repository: SessionRepository,
        *,
        secret_key: str,
        link_ttl: timedelta,
        participant_ttl: timedelta = timedelta(days=3),
        max_guests: int = 50,
        access: AccessEvents | None = None,
        members: MemberDirectory | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self._repo = repository
        self._secret = secret_key
        self._link_ttl = link_ttl
        self._participant_ttl = participant_ttl
        self._max_guests = max_guests
        self._access: AccessEvents = access or _NoAccessEvents()
        self._members: MemberDirectory = members or _NoMembers()
        self._clock = clock

    # ---- sessions -------------------------------------------------------------------------

    async def create(
        self,
        *,
        org_id: str,
        title: str,
        language: str,
        created_by: str | None,
        link_ttl: timedelta | None = None,
    ) -> tuple[Session, list[IssuedLink]]:
        title = normalize_title(title)
        if not is_known(language):
            raise InvalidInput(f"unknown language {language!r}", details={"field": "language"})
        now = self._clock()
        session = Session(
            id=tokens.new_id(),
            org_id=org_id,
            title=title,
            language=language,
            state=SessionState.CREATED,
            created_by=created_by,
            created_at=now,
        )
        ttl = link_ttl if link_ttl is not None else self._link_ttl
        issued = [self._new_link(session.id, role, now, ttl) for role in LINK_ROLES]
        await self._repo.add_session(session, [i.link for i in issued])
        return session, issued

    async def get(self, session_id: str, *, org_id: str) -> Session:
        """The session, if it belongs to ``org_id``; NotFound otherwise (no existence oracle)."""
        session = await self._repo.get_session(session_id)
        if session is None or session.org_id != org_id:
            raise NotFound("no such session", details={"session_id": session_id})
        return session

    async def list_sessions(
        self,
        *,
        org_id: str,
        state: SessionState | None = None,
        limit: int = 50,
        before: tuple[datetime, str] | None = None,
    ) -> Sequence[Session]:
        return await self._repo.list_sessions(org_id, state=state, limit=limit, before=before)

    async def end(self, session_id: str, *, org_id: str) -> Session:
        session = await self.get(session_id, org_id=org_id)
        if session.state is SessionState.ENDED:
            return session
        transition(session.state, SessionState.ENDED)
        updated = await self._repo.set_state(session.id, session.state, SessionState.ENDED, self._clock())
        if updated is None:  # lost a race with another transition: re-read and re-check
            return await self.end(session_id, org_id=org_id)
        self._access.session_ended(session.id)
        return updated

    async def _mark_live(self, session: Session) -> Session:
        if session.state is not SessionState.CREATED:
            return session
        updated = await self._repo.set_state(
            session.id, SessionState.CREATED, SessionState.LIVE, self._clock()
        )
        return updated or await self._must_get(session.id)

    async def _must_get(self, session_id: str) -> Session:
        session = await self._repo.get_session(session_id)
        if session is None:
            raise NotFound("no such session", details={"session_id": session_id})
        return session

    # ---- links ----------------------------------------------------------------------------

    def _new_link(self, session_id: str, role: Role, now: datetime, ttl: timedelta) -> IssuedLink:
        link_id = tokens.new_id()
        nonce = tokens.new_nonce()
        token = tokens.derive_token(self._secret, LINK_PURPOSE, link_id, nonce)
        link = JoinLink(
            id=link_id,
            session_id=session_id,
            role=role,
            nonce=nonce,
            token_hash=tokens.digest(token),
            created_at=now,
            expires_at=now + ttl,
        )
        return IssuedLink(link=link, token=token)

    def link_token(self, link: JoinLink) -> str:
        return tokens.derive_token(self._secret, LINK_PURPOSE, link.id, link.nonce)

    async def links(self, session: Session) -> list[IssuedLink]:
        """The current link of every role, with tokens (for people allowed to share them)."""
        current = await self._repo.links_for(session.id)
        return [IssuedLink(link=link, token=self.link_token(link)) for link in current]

    async def rotate_link(self, session: Session, role: Role, ttl: timedelta | None = None) -> IssuedLink:
        """Revoke the role's current link and issue a new one."""
        if role not in LINK_ROLES:
            raise InvalidInput(f"no join link for role {role.value!r}", details={"field": "role"})
        now = self._clock()
        old = next((link for link in await self._repo.links_for(session.id) if link.role is role), None)
        issued = self._new_link(session.id, role, now, ttl or self._link_ttl)
        await self._repo.replace_link(old, issued.link, now)
        if old is not None:
            self._access.link_revoked(old.id)
        return issued

    async def revoke_link(self, session: Session, role: Role) -> None:
        for link in await self._repo.links_for(session.id):
            if link.role is role:
                await self._repo.revoke_link(link.id, self._clock())
                self._access.link_revoked(link.id)

    async def open_link(self, token: str) -> tuple[JoinLink, Session]:
        """Validate a join-link token: unknown -> 404, revoked -> 403, expired -> 410."""
        link = await self._repo.link_by_token_hash(tokens.digest(token)) if token else None
        if link is None:
            raise NotFound("this join link does not exist")
        if link.revoked:
            raise Forbidden("this join link has been revoked", details={"reason": "revoked"})
        if link.is_expired(self._clock()):
            raise Gone("this join link has expired", details={"reason": "expired"})
        session = await self._must_get(link.session_id)
        if not can_join(link.role, session.state):
            raise Forbidden("this session cannot be joined with this link")
        return link, session

    # ---- participants ---------------------------------------------------------------------

    def participant_token(self, participant: Participant) -> str:
        return tokens.derive_token(self._secret, PARTICIPANT_PURPOSE, participant.id, participant.nonce)

    def member_token(self, participant: Participant, login_id: str) -> str:
        """A member's pad token, good for as long as that sign-in (``login_id``) lasts and the
        member keeps a role that allows it: signing out, being disabled or losing the right to
        interview ends it, wherever it was copied to. Derived, never stored."""
        mac = tokens.derive_token(self._secret, MEMBER_PURPOSE, participant.id, login_id)
        return f"{MEMBER_TOKEN_PREFIX}{participant.id}.{login_id}.{mac}"

    async def join(self, token: str, *, display_name: str, user_id: str | None = None) -> Admission:
        """Enter a session through a link. Interviewer links need an org member (``user_id``;
        the caller checks that the member belongs to the session's organization and may
        interview), who enters as a member: their access follows their membership, not the link.
        Guests get a participant of their own, up to the session's guest cap."""
        link, session = await self.open_link(token)
        if link.role in MEMBER_ROLES:
            if user_id is None:
                raise Unauthenticated("sign in to join as an interviewer")
            return await self.admit_member(
                session, user_id=user_id, display_name=display_name, role=link.role
            )
        if user_id is not None:
            existing = await self._repo.participant_for_user(session.id, user_id, link.role)
            if existing is not None and not self._expired(existing):
                return Admission(existing, self.participant_token(existing), await self._mark_live(session))
        if await self._repo.count_participants(session.id, GUEST_ROLES) >= self._max_guests:
            raise RateLimited("this session has as many guests as it can take; ask the interviewer")
        return await self._admit(session, link.role, display_name, user_id=user_id, link_id=link.id)

    async def member_participant(self, session: Session, *, user_id: str, role: Role) -> Participant | None:
        """The member's participant for ``role`` in ``session``, if they have entered it."""
        return await self._repo.participant_for_user(session.id, user_id, role)

    async def admit_member(
        self, session: Session, *, user_id: str, display_name: str, role: Role
    ) -> Admission:
        """An org member entering their own organization's session (the caller checked that they
        may hold ``role``). The admission's token is a plain participant token: pages hand
        members a ``member_token`` bound to their sign-in instead."""
        if role not in MEMBER_ROLES:
            raise InvalidInput(f"members enter as interviewers or reviewers, not {role.value}")
        existing = await self._repo.participant_for_user(session.id, user_id, role)
        if existing is not None:
            return Admission(existing, self.participant_token(existing), await self._mark_live(session))
        return await self._admit(session, role, display_name, user_id=user_id, link_id=None)

    async def _admit(
        self, session: Session, role: Role, display_name: str, *, user_id: str | None, link_id: str | None
    ) -> Admission:
        name = normalize_display_name(display_name)
        participant_id = tokens.new_id()
        nonce = tokens.new_nonce()
        token = tokens.derive_token(self._secret, PARTICIPANT_PURPOSE, participant_id, nonce)
        participant = Participant(
            id=participant_id,
            session_id=session.id,
            role=role,
            display_name=name,
            nonce=nonce,
            token_hash=tokens.digest(token),
            joined_at=self._clock(),
            user_id=user_id,
            link_id=link_id,
        )
        await self._repo.add_participant(participant)
        live = session if role is Role.REVIEWER else await self._mark_live(session)
        return Admission(participant, token, live)

    def guest_expiry(self, participant: Participant) -> datetime:
        return participant.joined_at + self._participant_ttl

    def _expired(self, participant: Participant) -> bool:
        return self._clock() >= self.guest_expiry(participant)

    async def authenticate(self, session_id: str, token: str) -> Credential:
        """Check a pad token for a session: unknown, expired or signed out -> 401; a revoked
        link, an ended session for a guest, or a member no longer allowed their role -> 403."""
        if token.startswith(MEMBER_TOKEN_PREFIX):
            return await self._authenticate_member(session_id, token)
        access = await self._repo.access_by_token_hash(tokens.digest(token)) if token else None
        if access is None or access.participant.session_id != session_id:
            raise Unauthenticated("invalid or expired session token")
        participant, session = access.participant, access.session
        if participant.role in MEMBER_ROLES:
            raise Unauthenticated("sign in to open this session as an interviewer or reviewer")
        if self._expired(participant):
            raise Unauthenticated("your access to this session has expired: open your join link again")
        if access.link_revoked:
            raise Forbidden("the join link behind this token has been revoked")
        if not can_join(participant.role, session.state):
            raise Forbidden("the session has ended")
        return Credential(participant=participant, session=session, expires_at=self.guest_expiry(participant))

    async def _authenticate_member(self, session_id: str, token: str) -> Credential:
        parts = token[len(MEMBER_TOKEN_PREFIX) :].split(".")
        if len(parts) != 3:
            raise Unauthenticated("invalid or expired session token")
        participant_id, login_id, mac = parts
        expected = tokens.derive_token(self._secret, MEMBER_PURPOSE, participant_id, login_id)
        if not tokens.constant_time_equal(mac, expected):
            raise Unauthenticated("invalid or expired session token")
        access = await self._repo.access_by_participant(participant_id)
        if access is None:
            raise Unauthenticated("invalid or expired session token")
        participant, session = access.participant, access.session
        if participant.session_id != session_id or participant.user_id is None:
            raise Unauthenticated("invalid or expired session token")
        expires_at = await self._members.member_access(
            user_id=participant.user_id, login_id=login_id, org_id=session.org_id, role=participant.role
        )
        if not can_join(participant.role, session.state):
            raise Forbidden("this session cannot be opened in this role now")
        return Credential(participant=participant, session=session, expires_at=expires_at, login_id=login_id)

    async def participants(self, session: Session) -> Sequence[Participant]:
        return await self._repo.participants(session.id)


def normalize_title(title: str) -> str:
    cleaned = " ".join(title.split())
    if not cleaned:
        raise InvalidInput("title must not be empty", details={"field": "title"})
    if len(cleaned) > MAX_TITLE:
        raise InvalidInput(f"title is longer than {MAX_TITLE} characters", details={"field": "title"})
    return cleaned


def normalize_display_name(name: str) -> str:
    cleaned = " ".join("".join(ch for ch in name if ch.isprintable()).split())
    if not cleaned:
        raise InvalidInput("display name must not be empty", details={"field": "display_name"})
    if len(cleaned) > MAX_DISPLAY_NAME:
        raise InvalidInput(
            f"display name is longer than {MAX_DISPLAY_NAME} characters", details={"field": "display_name"}
        )
    return cleaned
