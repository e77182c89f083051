"""How nodes hear each other: a session's sync room and control channel, and access revoked
anywhere. One node: nothing to do (``LocalFanout``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class FanoutKind(StrEnum):
    UPDATE = "u"  # a committed Yjs update
    AWARENESS = "a"  # an awareness payload (already identity-stamped by the origin node)
    QUERY = "q"  # a node that just loaded the room asks the others to re-announce their peers
    ENDED = "e"  # the session ended: read-only everywhere
    EVENT = "j"  # a JSON message of the session's control channel (console, chat, terminal)
    REVOKE = "r"  # access that ended: every node closes the sockets it opened (JSON)


SYNC = "sync"
CONTROL = "control"
#: Node-wide messages (revocations) travel on this topic under this one "session".
ACCESS = "access"
EVERY_SESSION = "all"


@dataclass(frozen=True, slots=True)
class FanoutMessage:
    session_id: str
    kind: FanoutKind
    data: bytes = b""
    topic: str = SYNC  # one stream per (topic, session)


Handler = Callable[[FanoutMessage], None]


class Fanout(Protocol):
    async def position(self, session_id: str, topic: str = SYNC) -> str:
        """Where the session's stream ends now; taken BEFORE loading a room from the database,
        so nothing committed in between is missed (updates are idempotent)."""
        ...

    async def subscribe(self, session_id: str, start: str, handler: Handler, topic: str = SYNC) -> None:
        """Deliver other nodes' messages for the session, from ``start`` on, to ``handler``."""
        ...

    async def unsubscribe(self, session_id: str, topic: str = SYNC) -> None: ...

    def publish(self, message: FanoutMessage) -> None:
        """Queue a message for the other nodes (never blocks; order kept per node)."""
        ...


class LocalFanout:
    """The embedded deployment: one node, so there is nobody to tell."""

    async def position(self, session_id: str, topic: str = SYNC) -> str:
        return ""

    async def subscribe(self, session_id: str, start: str, handler: Handler, topic: str = SYNC) -> None:
        return None

    async def unsubscribe(self, session_id: str, topic: str = SYNC) -> None:
        return None

    def publish(self, message: FanoutMessage) -> None:
        return None
