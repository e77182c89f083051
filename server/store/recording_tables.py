"""Tables of the per-session event log and its document snapshots."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from server.store.base import Base
from server.store.tables import ID

#: Events that are not edits or cursor moves: few per session, read back newest first.
SPARSE_KINDS = "kind <> 'doc.update' AND kind <> 'awareness'"

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGSERIAL.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class SessionEventRow(Base):
    __tablename__ = "session_events"
    __table_args__ = (
        Index("ix_session_events_session_id_id", "session_id", "id"),
        # the control channel's history: a session's last events of a few kinds, without the
        # kinds that make up nearly every row (their inserts never touch this index)
        Index(
            "ix_session_events_sparse",
            "session_id",
            "id",
            sqlite_where=text(SPARSE_KINDS),
            postgresql_where=text(SPARSE_KINDS),
        ),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ID, ForeignKey("interview_sessions.id", ondelete="CASCADE"))
    ts_ms: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    author: Mapped[str | None] = mapped_column(ID, nullable=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class DocSnapshotRow(Base):
    __tablename__ = "doc_snapshots"

    session_id: Mapped[str] = mapped_column(
        ID, ForeignKey("interview_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    upto_id: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[bytes] = mapped_column(LargeBinary)


class RecordingSnapshotRow(Base):
    """The document as it stood after event ``upto_id`` (at ``ts_ms``): playback's seek points,
    one every few hundred edits or few dozen seconds of a session, so the state at any moment is
    one of these plus a short tail of updates."""

    __tablename__ = "recording_snapshots"

    session_id: Mapped[str] = mapped_column(
        ID, ForeignKey("interview_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    upto_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ts_ms: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    #: The files as text at the point and the text edits since the previous one (JSON,
    #: server/playback/text_index.py): a state needs no decoding. NULL on imported points.
    files_text: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    edits: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
