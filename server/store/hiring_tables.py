"""Tables of hiring content: challenges and assessments, each with immutable content-hashed
versions. A result (later) points at a version, so editing content never changes a score."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.store.base import Base, UTCDateTime
from server.store.tables import HASH, ID


class ChallengeRow(Base):
    __tablename__ = "challenges"
    __table_args__ = (UniqueConstraint("org_id", "slug", name="uq_challenges_org_slug"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ID, ForeignKey("organizations.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(120))
    #: The version new attempts get (no foreign key: the two tables would point at each other).
    current_version_id: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChallengeVersionRow(Base):
    __tablename__ = "challenge_versions"
    __table_args__ = (
        UniqueConstraint("challenge_id", "number", name="uq_challenge_versions_number"),
        UniqueConstraint("challenge_id", "content_hash", name="uq_challenge_versions_content_hash"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    challenge_id: Mapped[str] = mapped_column(ID, ForeignKey("challenges.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(HASH)
    title: Mapped[str] = mapped_column(String(120))
    #: JSON {path: text}: the challenge folder as imported (it loads with server.hiring.loader).
    files: Mapped[str] = mapped_column(Text)
    #: JSON {language: [test names the reference solution reported]}.
    expected_tests: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AssessmentRow(Base):
    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("org_id", "slug", name="uq_assessments_org_slug"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    org_id: Mapped[str] = mapped_column(ID, ForeignKey("organizations.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(120))
    current_version_id: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AssessmentVersionRow(Base):
    __tablename__ = "assessment_versions"
    __table_args__ = (
        UniqueConstraint("assessment_id", "number", name="uq_assessment_versions_number"),
        UniqueConstraint("assessment_id", "content_hash", name="uq_assessment_versions_content_hash"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    assessment_id: Mapped[str] = mapped_column(ID, ForeignKey("assessments.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    #: Over the file AND the challenge versions it pins: a new challenge version is a new one.
    content_hash: Mapped[str] = mapped_column(HASH)
    #: The assessment file's text.
    definition: Mapped[str] = mapped_column(Text)
    #: JSON {challenge slug: challenge version id}, pinned when imported.
    challenge_versions: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
