"""One session's live document: the pycrdt Doc, the awareness states, the connected clients."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc

from server.sync import protocol
from server.sync.awareness import accept_state
from server.sync.connection import Connection
from server.sync.file_changes import FileChange, FileWatch
from server.sync.protocol import AwarenessEntry, ProtocolError

logger = logging.getLogger(__name__)

#: Clients drop peers not renewed for 30 s; the server forgets other nodes' peers after the same.
REMOTE_AWARENESS_TTL = 30.0


@dataclass(slots=True)
class PeerState:
    clock: int
    state: bytes
    owner: int | None  # the local connection id, or None for a client of another node
    seen: float


class Room:
    def __init__(self, session_id: str, doc: Doc[Any], *, size: int = 0) -> None:
        self.session_id = session_id
        self.doc = doc
        self._files = FileWatch(doc)  # watches from here on: what loading replayed is not news
        #: The bytes of every update the document was built from (its snapshot, then each update
        #: since): an upper bound of its encoded size, kept without encoding it.
        self.size = size
        self.connections: dict[int, Connection] = {}
        self.awareness: dict[int, PeerState] = {}
        self.read_only = False
        self.discarded = False  # dropped after a failed write: nothing more is accepted here
        self.updates_since_snapshot = 0
        self.db_cursor = 0  # the highest event id this room has read from the database
        self.idle_since: float | None = time.monotonic()

    # ---- clients -------------------------------------------------------------------------------

    def add(self, conn: Connection) -> None:
        if self.read_only:
            conn.writable = False
        self.connections[conn.id] = conn
        self.idle_since = None

    def remove(self, conn: Connection) -> list[AwarenessEntry]:
        """Forget a connection; returns the null states announcing its clients left."""
        self.connections.pop(conn.id, None)
        if not self.connections:
            self.idle_since = time.monotonic()
        gone = []
        for client_id in conn.awareness_ids:
            peer = self.awareness.get(client_id)
            if peer is not None and peer.owner == conn.id:
                del self.awareness[client_id]
                gone.append(AwarenessEntry(client_id, peer.clock + 1, protocol.NULL_STATE))
        return gone

    def awareness_frame(self) -> bytes | None:
        now = time.monotonic()
        live = [
            AwarenessEntry(cid, peer.clock, peer.state)
            for cid, peer in self.awareness.items()
            if peer.owner is not None or now - peer.seen < REMOTE_AWARENESS_TTL
        ]
        return protocol.awareness_frame(protocol.encode_awareness(live)) if live else None

    def local_awareness(self) -> list[AwarenessEntry]:
        return [AwarenessEntry(c, p.clock, p.state) for c, p in self.awareness.items() if p.owner is not None]

    def broadcast(self, frame: bytes, skip: Connection | None = None) -> None:
        for conn in list(self.connections.values()):
            if conn is not skip:
                conn.send(frame)

    def broadcast_awareness(self, frame: bytes, skip: Connection | None = None) -> None:
        """Like ``broadcast``, remembering the frame per connection: the stock client sends every
        awareness change it applies back to the server, byte for byte (see ``Connection``)."""
        for conn in list(self.connections.values()):
            if conn is not skip:
                conn.send(frame)
                conn.sent_awareness.append(frame)

    def end(self) -> None:
        """The session ended: nobody writes any more."""
        self.read_only = True
        for conn in self.connections.values():
            conn.writable = False

    # ---- document ------------------------------------------------------------------------------

    def diff(self, state_vector: bytes) -> bytes:
        """What a client with ``state_vector`` lacks; the vector is checked before pycrdt reads it."""
        protocol.check_state_vector(state_vector)
        try:
            return self.doc.get_update(state_vector)
        except Exception as exc:  # pycrdt raises plain exceptions on undecodable input
            raise ProtocolError("sync step 1 carries an invalid state vector") from exc

    def apply(self, update: bytes) -> list[FileChange]:
        """Integrate an update; raises ProtocolError (and changes nothing) if it does not decode.
        Returns what it did to the files (for the recording of the node it came to)."""
        protocol.check_update(update)
        self._files.clear()
        try:
            self.doc.apply_update(update)
        except Exception as exc:
            raise ProtocolError("the update failed to apply") from exc
        self.size += len(update)
        return self._files.take()

    # ---- awareness -----------------------------------------------------------------------------

    def accept_awareness(
        self, entries: list[AwarenessEntry], conn: Connection | None
    ) -> list[AwarenessEntry]:
        """Apply awareness entries from a local connection (``conn``) or another node (None).
        Returns the entries that changed something, with identities stamped."""
        now = time.monotonic()
        accepted = []
        for entry in entries:
            current = self.awareness.get(entry.client_id)
            if current is not None and not (
                entry.clock > current.clock or (entry.clock == current.clock and entry.removed)
            ):
                continue
            if conn is not None and current is not None and not self._may_take(current.owner, conn):
                continue  # another participant's live cursor: not this connection's to change
            if entry.removed:
                if current is not None:
                    del self.awareness[entry.client_id]
                    self._disown(current.owner, entry.client_id)
                accepted.append(entry)
                continue
            state = accept_state(entry.state, conn.info) if conn is not None else entry.state
            if current is not None and current.owner != (conn.id if conn else None):
                self._disown(current.owner, entry.client_id)  # a reconnect takes its id over
            self.awareness[entry.client_id] = PeerState(entry.clock, state, conn.id if conn else None, now)
            if conn is not None:
                conn.awareness_ids.add(entry.client_id)
            accepted.append(AwarenessEntry(entry.client_id, entry.clock, state))
        return accepted

    def _may_take(self, owner: int | None, conn: Connection) -> bool:
        """A client id held by a live local connection may only be taken over by the same
        participant (a reconnect reuses its Yjs client id); ids from other nodes or from
        connections already gone are free."""
        holder = self.connections.get(owner) if owner is not None else None
        return holder is None or holder is conn or holder.info.participant_id == conn.info.participant_id

    def _disown(self, owner: int | None, client_id: int) -> None:
        if owner is not None and owner in self.connections:
            self.connections[owner].awareness_ids.discard(client_id)

    def expire_remote_awareness(self) -> None:
        horizon = time.monotonic() - REMOTE_AWARENESS_TTL
        for cid in [c for c, p in self.awareness.items() if p.owner is None and p.seen < horizon]:
            del self.awareness[cid]
