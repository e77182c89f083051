"""Who may write a scorecard, what a valid one holds, and who may see whose.

Every member of the session's organization writes their own scorecard: a draft first, then
submitted (final). Nobody sees anyone else's scorecard before submitting their own, so the
first opinion written cannot anchor the others; drafts are never shown to anyone but their
author.
"""

from __future__ import annotations

from collections.abc import Mapping

from server.accounts.models import OrgRole
from server.errors import Conflict, Forbidden, InvalidInput
from server.reviews.criteria import MAX_NOTES, RATING_MAX, RATING_MIN, Criterion
from server.reviews.models import Scorecard
from server.sessions.lifecycle import SessionState


def may_write(role: OrgRole, state: SessionState) -> bool:
    """Interviewers and admins any time; reviewers once the session has ended (as they open it)."""
    if role is OrgRole.REVIEWER:
        return state is SessionState.ENDED
    return role in {OrgRole.ADMIN, OrgRole.INTERVIEWER}


def require_write(role: OrgRole, state: SessionState) -> None:
    if not may_write(role, state):
        raise Forbidden("reviewers write scorecards once the session has ended")


def check_draft(ratings: Mapping[str, int], notes: str) -> dict[Criterion, int]:
    """The ratings as criteria; raises InvalidInput naming the first bad field."""
    if len(notes) > MAX_NOTES:
        raise InvalidInput(f"notes are limited to {MAX_NOTES} characters", details={"field": "notes"})
    parsed: dict[Criterion, int] = {}
    for name, rating in ratings.items():
        try:
            criterion = Criterion(name)
        except ValueError:
            raise InvalidInput(f"unknown criterion {name!r}", details={"field": "ratings"}) from None
        if isinstance(rating, bool) or not isinstance(rating, int) or not RATING_MIN <= rating <= RATING_MAX:
            raise InvalidInput(
                f"{name} is rated {RATING_MIN} to {RATING_MAX}",
                details={"field": "ratings", "criterion": name},
            )
        parsed[criterion] = rating
    return parsed


def require_editable(card: Scorecard | None) -> None:
    if card is not None and card.submitted:
        raise Conflict("this scorecard was submitted and is final", details={"submitted": True})


def require_complete(card: Scorecard | None) -> Scorecard:
    """A scorecard can be submitted once every criterion is rated."""
    if card is None:
        raise Conflict("write a draft before submitting", details={"missing": [c.value for c in Criterion]})
    missing = [c.value for c in Criterion if c not in card.ratings]
    if missing:
        raise Conflict("rate every criterion before submitting", details={"missing": missing})
    return card


def require_sees_others(own: Scorecard | None) -> None:
    """Others' scorecards are shown to those who submitted their own."""
    if own is None or not own.submitted:
        raise Forbidden("submit your own scorecard to see the others'")


def visible_to_others(cards: list[Scorecard]) -> list[Scorecard]:
    """Submitted scorecards only: a draft is its author's alone."""
    return [card for card in cards if card.submitted]
