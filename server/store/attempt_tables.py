"""Tables of invitations and attempts, and the mail outbox.

An invitation IS the attempt's row: it carries the candidate's state (invited, opened, started,
submitted, expired), the deadline, the session the attempt is recorded in, the score and the
reviewers' decision. Public links make invitations as candidates open them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.store.base import Base, UTCDateTime
from server.store.tables import HASH, ID


class PublicLinkRow(Base):
    __tablename__ = "assessment_public_links"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ID, ForeignKey("organizations.id", ondelete="CASCADE"))
    assessment_id: Mapped[str] = mapped_column(ID, ForeignKey("assessments.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(HASH, unique=True)
    #: JSON list of labels every attempt through this link gets.
    labels: Mapped[str] = mapped_column(Text)
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[str | None] = mapped_column(ID, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class InvitationRow(Base):
    __tablename__ = "assessment_invitations"
    __table_args__ = (Index("ix_assessment_invitations_assessment", "assessment_id", "created_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ID, ForeignKey("organizations.id", ondelete="CASCADE"))
    assessment_id: Mapped[str] = mapped_column(ID, ForeignKey("assessments.id", ondelete="CASCADE"))
    #: The assessment version the attempt is held and scored against (pinned at invitation).
    assessment_version_id: Mapped[str] = mapped_column(ID)
    public_link_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    labels: Mapped[str] = mapped_column(Text)  # JSON list
    message: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(HASH, unique=True)
    state: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(ID, nullable=True)
    created_by: Mapped[str | None] = mapped_column(ID, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    session_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    #: JSON: the scoring of every challenge (hidden tests included): reviewers only.
    result: Mapped[str | None] = mapped_column(Text, nullable=True)


class AttemptWorkRow(Base):
    """What the candidate has written for one challenge, saved as they go."""

    __tablename__ = "attempt_work"

    invitation_id: Mapped[str] = mapped_column(
        ID, ForeignKey("assessment_invitations.id", ondelete="CASCADE"), primary_key=True
    )
    challenge: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str | None] = mapped_column(String(32), nullable=True)
    #: JSON {"files": {path: text}, "answers": {question id: {"choices": [...], "text": ...}}}
    content: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AttemptPartRow(Base):
    """When the candidate first opened a challenge: its own time limit runs from then."""

    __tablename__ = "attempt_parts"

    invitation_id: Mapped[str] = mapped_column(
        ID, ForeignKey("assessment_invitations.id", ondelete="CASCADE"), primary_key=True
    )
    challenge: Mapped[str] = mapped_column(String(64), primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MailRow(Base):
    """One message of the mail outbox: queued (maybe with the last error, retrying), sent, failed."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ID, ForeignKey("organizations.id", ondelete="CASCADE"))
    invitation_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
