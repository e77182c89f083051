"""An invitation to an assessment, which is also the candidate's attempt: its states, its
deadline and its link. Plain data and pure rules; ``server.hiring.invitations`` stores them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class AttemptState(StrEnum):
    INVITED = "invited"  # the link exists (and was mailed)
    OPENED = "opened"  # the candidate opened the link: intro and rules
    STARTED = "started"  # the clock runs; work is saved as it is written
    SUBMITTED = "submitted"  # handed in (by the candidate or by the deadline), scored
    EXPIRED = "expired"  # never started before the invitation or its access window ended


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


INVITATION_PURPOSE = "assessment-invitation"
PUBLIC_LINK_PURPOSE = "assessment-public-link"
MAX_LABELS = 20
MAX_LABEL_CHARS = 40
MAX_MESSAGE_CHARS = 4000
MAX_NAME_CHARS = 120
MAX_EMAIL_CHARS = 254
#: Whatever the assessment says, an attempt takes at most this long.
MAX_TIME_LIMIT_MINUTES = 600


@dataclass(frozen=True, slots=True)
class InvitationRequest:
    """What an interviewer fills in to invite one candidate."""

    email: str
    name: str
    labels: Sequence[str] = ()
    message: str = ""
    expires_at: datetime | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    time_limit_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class Invitation:
    id: str
    org_id: str
    assessment_id: str
    assessment_slug: str
    assessment_version_id: str
    email: str
    name: str
    labels: tuple[str, ...]
    message: str
    state: AttemptState
    decision: Decision | None
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
    score: float | None
    passed: bool | None
    public_link_id: str | None = None

    @property
    def time_used_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.submitted_at or self.deadline
        if end is None:
            return None
        return max(0.0, (end - self.started_at).total_seconds())


def effective_state(
    stored: AttemptState, *, now: datetime, expires_at: datetime, window_end: datetime | None
) -> AttemptState:
    """An invitation not yet started expires with its link or its access window."""
    ended = now >= expires_at or (window_end is not None and now >= window_end)
    if stored in (AttemptState.INVITED, AttemptState.OPENED) and ended:
        return AttemptState.EXPIRED
    return stored


def deadline_for(
    started_at: datetime,
    *,
    assessment_minutes: int,
    override_minutes: int | None,
    window_end: datetime | None,
) -> datetime:
    """When the attempt is handed in automatically: start + the time limit (the invitation's
    override, or the assessment's), and never after the access window ends."""
    minutes = min(override_minutes or assessment_minutes, MAX_TIME_LIMIT_MINUTES)
    deadline = started_at + timedelta(minutes=minutes)
    return min(deadline, window_end) if window_end is not None else deadline


def clean_labels(labels: Sequence[str]) -> tuple[str, ...]:
    cleaned: list[str] = []
    for label in labels:
        text = " ".join(label.split())
        if text and text not in cleaned:
            cleaned.append(text[:MAX_LABEL_CHARS])
    return tuple(cleaned[:MAX_LABELS])
