"""The scorecard rules, without storage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.accounts.models import OrgRole
from server.errors import Conflict, Forbidden, InvalidInput
from server.reviews import rules
from server.reviews.criteria import Criterion
from server.reviews.models import Scorecard
from server.sessions.lifecycle import SessionState

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _card(ratings: dict[Criterion, int], submitted: bool = False) -> Scorecard:
    return Scorecard("s", "u", ratings, "", AT, AT if submitted else None)


@pytest.mark.parametrize("state", list(SessionState))
def test_who_may_write(state: SessionState) -> None:
    assert rules.may_write(OrgRole.ADMIN, state) and rules.may_write(OrgRole.INTERVIEWER, state)
    assert rules.may_write(OrgRole.REVIEWER, state) is (state is SessionState.ENDED)


def test_drafts_are_checked() -> None:
    assert rules.check_draft({"testing": 1, "communication": 4}, "") == {
        Criterion.TESTING: 1,
        Criterion.COMMUNICATION: 4,
    }
    for ratings in ({"testing": 0}, {"testing": 5}, {"testing": True}, {"vibes": 3}):
        with pytest.raises(InvalidInput):
            rules.check_draft(ratings, "")
    with pytest.raises(InvalidInput):
        rules.check_draft({}, "x" * 20_001)


def test_submission_needs_every_criterion_and_is_final() -> None:
    with pytest.raises(Conflict):
        rules.require_complete(None)
    with pytest.raises(Conflict) as missing:
        rules.require_complete(_card({Criterion.TESTING: 2}))
    assert missing.value.details["missing"] == ["problem_solving", "code_quality", "communication"]
    full = _card(dict.fromkeys(Criterion, 3))
    assert rules.require_complete(full) is full
    rules.require_editable(full)
    with pytest.raises(Conflict):
        rules.require_editable(_card({}, submitted=True))


def test_others_are_seen_after_submitting_and_drafts_never() -> None:
    for own in (None, _card(dict.fromkeys(Criterion, 3))):
        with pytest.raises(Forbidden):
            rules.require_sees_others(own)
    rules.require_sees_others(_card({}, submitted=True))
    draft, final = _card({}), _card({}, submitted=True)
    assert rules.visible_to_others([draft, final]) == [final]
