"""One participant's sync connection inside a room: who it is, what it may do, its send queue."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from server.channels.outbox import Outbox
from server.channels.transport import FrameTransport
from server.sessions.roles import Role

#: How many awareness frames sent to a client are remembered to recognise its echoes.
RECENT_AWARENESS = 8


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """The authenticated participant behind a connection, as the web layer established it."""

    session_id: str
    participant_id: str
    role: Role
    display_name: str
    writable: bool
    language: str = "python"  # the session's language: seeds a brand-new document


class Connection(Outbox[bytes]):
    """One participant's sync websocket inside a room: who it is and what it may do."""

    def __init__(self, transport: FrameTransport, info: ClientInfo, *, max_queue_bytes: int) -> None:
        super().__init__(transport, max_queue_bytes=max_queue_bytes)
        self.info = info
        self.writable = info.writable
        self.awareness_ids: set[int] = set()
        #: The last awareness frames sent to this client. The stock provider sends every awareness
        #: change it applies back to the server, re-encoded to the same bytes: those echoes carry
        #: nothing new (older clocks, or removals already made) and are dropped unparsed.
        self.sent_awareness: deque[bytes] = deque(maxlen=RECENT_AWARENESS)
