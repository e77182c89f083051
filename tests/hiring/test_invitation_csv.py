"""Parsing a CSV of candidates, and the results export (no formula injection)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.errors import InvalidInput
from server.hiring.invitation_csv import parse_invitations
from server.hiring.invitation_model import AttemptState, Invitation, InvitationRequest
from server.hiring.results import results_csv, sorted_results

DEFAULTS = InvitationRequest(email="", name="", labels=("batch",), message="Hi", time_limit_minutes=30)


def test_rows_start_from_the_defaults() -> None:
    text = "\ufeffEmail,Name,Labels,time_limit_minutes\na@x.io, Ann ,x;y,15\nb@x.io,Bob,,\n,,,\n"
    ann, bob = parse_invitations(text, DEFAULTS)
    assert (ann.email, ann.name, ann.labels, ann.time_limit_minutes, ann.message) == (
        "a@x.io", "Ann", ("batch", "x", "y"), 15, "Hi",
    )  # fmt: skip
    assert (bob.labels, bob.time_limit_minutes) == (("batch",), 30)


@pytest.mark.parametrize(
    "text",
    [
        "name\nAnn\n",  # no email column
        "email,name,age\na@x.io,Ann,3\n",  # unknown column
        "email,name\na@x.io,Ann,extra\n",  # too many fields
        "email,name,time_limit_minutes\na@x.io,Ann,soon\n",
        "email,name\n",  # nobody
        "email,name\n" + "a@x.io,A\n" * 501,
    ],
)
def test_bad_csv_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_invitations(text, DEFAULTS)


def _inv(name: str, score: float | None) -> Invitation:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return Invitation(
        id=f"id{len(name)}", org_id="o", assessment_id="a", assessment_slug="s", assessment_version_id="v",
        email=f"{name}@x.io", name=name, labels=("l",), message="", state=AttemptState.SUBMITTED,
        decision=None, created_at=now, expires_at=now, window_start=None, window_end=None,
        time_limit_minutes=None, opened_at=None, started_at=None, deadline=None, submitted_at=None,
        session_id=None, score=score, passed=None,
    )  # fmt: skip


def test_sorting_puts_missing_values_last_and_the_csv_is_safe() -> None:
    items = [_inv("b", 50.0), _inv("=HYPERLINK(1)", None), _inv("a", 90.0)]
    assert [i.name for i in sorted_results(items, "score", True)] == ["a", "b", "=HYPERLINK(1)"]
    assert [i.name for i in sorted_results(items, "score", False)] == ["b", "a", "=HYPERLINK(1)"]
    text = results_csv(items)
    assert "'=HYPERLINK(1)" in text and "\n=HYPERLINK" not in text and "90.00" in text
