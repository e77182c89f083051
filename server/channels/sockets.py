"""Every live socket this node holds, and whose it is: quotas per person and per session, and
closing the sockets whose access ended.

A socket is admitted once its token has been checked, and released when it ends. A revocation
that arrived between the check and the admission (the token was read from the database just
before it changed) refuses the socket too: revocations are remembered for RECENT_SECONDS.
Admission
enforces two caps per kind of socket (sync, control): a participant holds at most
``per_participant`` (one person cannot crowd out the others), and a session at most
``per_session``, of which ``editor_reserve`` are kept for participants who may edit (observers
filling a session never lock its candidate out). A revocation closes every matching socket with
its close code (4403) at once; ``server.channels.revocation`` carries it to the other nodes.
"""

from __future__ import annotations

import json
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from server.channels.outbox import CloseRequest

#: How long a revocation is remembered for sockets whose token was checked before it arrived.
RECENT_SECONDS = 60.0


class Channel(StrEnum):
    SYNC = "sync"
    CONTROL = "control"


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a socket, as its token said when it was checked."""

    session_id: str
    participant_id: str
    role: str
    writable: bool  # may edit the document: editors always find room
    link_id: str | None = None  # the join link a guest came through
    user_id: str | None = None  # the member behind an interviewer or reviewer
    login_id: str | None = None  # the member's sign-in the socket was opened with


Scope = Literal["session", "link", "participant", "user", "login"]


@dataclass(frozen=True, slots=True)
class Revocation:
    """Access that ended: the sockets whose holder has ``scope`` == ``id`` (and, when ``roles``
    is given, one of those roles) are closed with ``code`` and ``reason``."""

    scope: Scope
    id: str
    reason: str
    roles: frozenset[str] | None = None
    code: int = 4403

    def matches(self, holder: Holder) -> bool:
        value = {
            "session": holder.session_id,
            "link": holder.link_id,
            "participant": holder.participant_id,
            "user": holder.user_id,
            "login": holder.login_id,
        }[self.scope]
        return value == self.id and (self.roles is None or holder.role in self.roles)

    def encode(self) -> bytes:
        roles = sorted(self.roles) if self.roles is not None else None
        return json.dumps(
            {"scope": self.scope, "id": self.id, "reason": self.reason, "roles": roles, "code": self.code}
        ).encode()

    @classmethod
    def decode(cls, data: bytes) -> Revocation:
        """Raises ValueError (or KeyError, TypeError) on anything else."""
        raw = json.loads(data)
        if raw["scope"] not in {"session", "link", "participant", "user", "login"}:
            raise ValueError(f"unknown revocation scope {raw['scope']!r}")
        roles = raw.get("roles")
        return cls(
            scope=raw["scope"],
            id=str(raw["id"]),
            reason=str(raw["reason"]),
            roles=frozenset(str(r) for r in roles) if roles is not None else None,
            code=int(raw.get("code", 4403)),
        )


#: Closes a socket: (code, reason). It must not wait (a close frame is sent, the handler ends).
Closer = Callable[[int, str], None]


@dataclass(eq=False, slots=True)
class Ticket:
    """One admitted socket; hand it back to ``release`` when the socket ends."""

    channel: Channel
    holder: Holder
    close: Closer
    released: bool = field(default=False)


class LiveSockets:
    def __init__(
        self,
        *,
        per_participant: int,
        per_session: int,
        editor_reserve: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_participant = per_participant
        self.per_session = per_session
        self.editor_reserve = min(editor_reserve, per_session)
        self._clock = clock
        self._recent: deque[tuple[float, Revocation]] = deque()
        self._tickets: set[Ticket] = set()
        self._by_participant: Counter[tuple[Channel, str]] = Counter()
        self._by_session: Counter[tuple[Channel, str]] = Counter()
        self._readers_by_session: Counter[tuple[Channel, str]] = Counter()

    def __len__(self) -> int:
        return len(self._tickets)

    def admit(self, channel: Channel, holder: Holder, close: Closer, *, checked_at: float) -> Ticket:
        """Count the socket in, or raise CloseRequest: 4403 when its access was revoked since
        ``checked_at`` (``clock`` time, taken before its token was checked), 4429 when a cap is
        reached."""
        for at, revocation in self._recent:
            if at >= checked_at and revocation.matches(holder):
                raise CloseRequest(revocation.code, revocation.reason)
        person = (channel, holder.participant_id)
        session = (channel, holder.session_id)
        if self._by_participant[person] >= self.per_participant:
            raise CloseRequest(4429, f"you have {self.per_participant} {channel} connections open already")
        if self._by_session[session] >= self.per_session:
            raise CloseRequest(4429, "this session has too many open connections")
        if (
            not holder.writable
            and self._readers_by_session[session] >= self.per_session - self.editor_reserve
        ):
            raise CloseRequest(4429, "this session has too many viewers connected")
        ticket = Ticket(channel, holder, close)
        self._tickets.add(ticket)
        self._by_participant[person] += 1
        self._by_session[session] += 1
        if not holder.writable:
            self._readers_by_session[session] += 1
        return ticket

    def release(self, ticket: Ticket) -> None:
        if ticket.released:
            return
        ticket.released = True
        self._tickets.discard(ticket)
        channel, holder = ticket.channel, ticket.holder
        _decrement(self._by_participant, (channel, holder.participant_id))
        _decrement(self._by_session, (channel, holder.session_id))
        if not holder.writable:
            _decrement(self._readers_by_session, (channel, holder.session_id))

    def open_in(self, session_id: str) -> int:
        """How many sockets of the session are open on this node (every channel)."""
        return sum(count for (_, session), count in self._by_session.items() if session == session_id)

    def revoke(self, revocation: Revocation) -> int:
        """Close every socket the revocation matches (they are released as their handlers end);
        returns how many."""
        now = self._clock()
        self._recent.append((now, revocation))
        while self._recent and self._recent[0][0] < now - RECENT_SECONDS:
            self._recent.popleft()
        matched = [ticket for ticket in self._tickets if revocation.matches(ticket.holder)]
        for ticket in matched:
            ticket.close(revocation.code, revocation.reason)
        return len(matched)


def _decrement(counter: Counter[tuple[Channel, str]], key: tuple[Channel, str]) -> None:
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]
