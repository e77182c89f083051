"""Tables of what reviewers write about a finished session: one scorecard per reviewer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.store.base import Base, UTCDateTime
from server.store.tables import ID


class ScorecardRow(Base):
    __tablename__ = "scorecards"

    session_id: Mapped[str] = mapped_column(
        ID, ForeignKey("interview_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    #: JSON: {criterion: rating}
    ratings: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
