"""Bodies of the scorecard endpoints (the API's and the page's are the same JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from server.reviews.criteria import MAX_NOTES, RATING_MAX, RATING_MIN, Criterion
from server.reviews.models import Scorecard
from server.web.api.schemas import numbers_only

Rating = Annotated[int, Field(ge=RATING_MIN, le=RATING_MAX), BeforeValidator(numbers_only)]


class ScorecardDraft(BaseModel):
    """A draft: any subset of the criteria rated, and notes. Replaces the previous draft."""

    model_config = ConfigDict(extra="forbid")

    ratings: dict[Criterion, Rating] = Field(
        default_factory=dict, examples=[{"problem_solving": 3, "communication": 4}]
    )
    notes: str = Field(default="", max_length=MAX_NOTES)


class ScorecardOut(BaseModel):
    session_id: str
    user_id: str
    author: str
    ratings: dict[Criterion, int]
    notes: str
    updated_at: datetime | None
    submitted_at: datetime | None
    submitted: bool


class ScorecardList(BaseModel):
    """Every submitted scorecard of the session (yours included)."""

    criteria: list[Criterion]
    items: list[ScorecardOut]


def scorecard_out(card: Scorecard) -> ScorecardOut:
    return ScorecardOut(
        session_id=card.session_id,
        user_id=card.user_id,
        author=card.author_name,
        ratings=dict(card.ratings),
        notes=card.notes,
        updated_at=card.updated_at,
        submitted_at=card.submitted_at,
        submitted=card.submitted,
    )


def blank(session_id: str, user_id: str, author: str) -> ScorecardOut:
    return ScorecardOut(
        session_id=session_id,
        user_id=user_id,
        author=author,
        ratings={},
        notes="",
        updated_at=None,
        submitted_at=None,
        submitted=False,
    )
