"""Bodies of the invitations, public links, results and mail endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from server.hiring.invitation_model import AttemptState, Decision, Invitation

Label = str
Labels = list[Label]


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254, examples=["ada@example.com"])
    name: str = Field(min_length=1, max_length=120, examples=["Ada Lovelace"])
    labels: list[str] = Field(default=[], max_length=20)
    message: str = Field(default="", max_length=4000)
    expires_at: AwareDatetime | None = None
    window_start: AwareDatetime | None = None
    window_end: AwareDatetime | None = None
    time_limit_minutes: int | None = Field(default=None, ge=1, le=600, strict=True)


class BulkInvitationIn(BaseModel):
    """A CSV with a header row: ``email,name`` and optionally ``labels`` (separated by ``;``),
    ``time_limit_minutes``, ``message``; the other fields apply to every row."""

    model_config = ConfigDict(extra="forbid")

    csv: str = Field(min_length=1, max_length=512 * 1024)
    labels: list[str] = Field(default=[], max_length=20)
    message: str = Field(default="", max_length=4000)
    expires_at: AwareDatetime | None = None
    window_start: AwareDatetime | None = None
    window_end: AwareDatetime | None = None
    time_limit_minutes: int | None = Field(default=None, ge=1, le=600, strict=True)


class PublicLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    labels: list[str] = Field(default=[], max_length=20)
    expires_at: AwareDatetime | None = None
    time_limit_minutes: int | None = Field(default=None, ge=1, le=600, strict=True)


class PublicLinkOut(BaseModel):
    id: str
    assessment: str
    labels: list[str]
    time_limit_minutes: int | None
    created_at: datetime
    expires_at: datetime
    revoked: bool
    url: str


class InvitationOut(BaseModel):
    id: str
    assessment: str
    email: str
    name: str
    labels: list[str]
    state: AttemptState
    decision: Decision | None
    score: float | None
    passed: bool | None
    time_used_seconds: float | None
    created_at: datetime
    expires_at: datetime
    window_start: datetime | None
    window_end: datetime | None
    time_limit_minutes: int | None
    opened_at: datetime | None
    started_at: datetime | None
    deadline: datetime | None
    submitted_at: datetime | None
    session_id: str | None
    public_link_id: str | None
    url: str | None = Field(default=None, description="The candidate's link (for admins and interviewers).")


class InvitationList(BaseModel):
    items: list[InvitationOut]


class SimilarPair(BaseModel):
    challenge: str
    other_invitation_id: str
    other_name: str
    similarity: float


class ResultOut(BaseModel):
    invitation: InvitationOut
    deal_breakers_missed: list[str]
    challenges: dict[str, Any] = Field(
        description="Per challenge: final code and per-test results (hidden tests included), or "
        "the answers with their scoring."
    )
    integrity: list[dict[str, Any]]
    similar: list[SimilarPair]
    playback_url: str | None
    scorecards_url: str | None


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Decision


class MailOut(BaseModel):
    id: str
    invitation_id: str | None
    recipient: str
    subject: str
    status: Literal["queued", "sent", "failed"]
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    sent_at: datetime | None


class MailList(BaseModel):
    items: list[MailOut]


def invitation_out(inv: Invitation, url: str | None = None) -> InvitationOut:
    return InvitationOut(
        id=inv.id,
        assessment=inv.assessment_slug,
        email=inv.email,
        name=inv.name,
        labels=list(inv.labels),
        state=inv.state,
        decision=inv.decision,
        score=inv.score,
        passed=inv.passed,
        time_used_seconds=inv.time_used_seconds,
        created_at=inv.created_at,
        expires_at=inv.expires_at,
        window_start=inv.window_start,
        window_end=inv.window_end,
        time_limit_minutes=inv.time_limit_minutes,
        opened_at=inv.opened_at,
        started_at=inv.started_at,
        deadline=inv.deadline,
        submitted_at=inv.submitted_at,
        session_id=inv.session_id,
        public_link_id=inv.public_link_id,
        url=url,
    )
