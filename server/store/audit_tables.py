"""The audit trail: who did what that cannot be undone (a recording deleted, a session imported).
Rows outlive what they describe: they name it, they do not reference it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.store.base import Base, UTCDateTime
from server.store.tables import ID


class AuditRecordRow(Base):
    __tablename__ = "audit_records"
    __table_args__ = (Index("ix_audit_records_org_created", "org_id", "created_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ID, ForeignKey("organizations.id", ondelete="CASCADE"))
    #: the member who did it (kept as an id and a name: the member may be deleted later)
    actor_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str] = mapped_column(String(64))
    #: JSON: what else is worth knowing (counts, the title at the time)
    details: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
