from __future__ import annotations

import pytest

from server.sessions.lifecycle import SessionState
from server.sessions.roles import Role, can_edit, can_join, can_note, can_run, can_signal, sees_private


@pytest.mark.parametrize("state", list(SessionState))
def test_only_interviewers_and_candidates_edit_and_never_after_the_end(state: SessionState) -> None:
    for role in Role:
        expected = state is not SessionState.ENDED and role in {Role.INTERVIEWER, Role.CANDIDATE}
        assert can_edit(role, state) is expected
        assert can_run(role, state) is expected


def test_private_material_is_for_interviewers_and_reviewers() -> None:
    assert {r for r in Role if sees_private(r)} == {Role.INTERVIEWER, Role.REVIEWER}


def test_reviewers_join_finished_sessions_only() -> None:
    assert not can_join(Role.REVIEWER, SessionState.LIVE)
    assert can_join(Role.REVIEWER, SessionState.ENDED)
    assert all(can_join(r, SessionState.LIVE) for r in Role if r is not Role.REVIEWER)


@pytest.mark.parametrize("state", list(SessionState))
def test_notes_are_interviewers_and_signals_everyones_but_reviewers_while_live(state: SessionState) -> None:
    live = state is not SessionState.ENDED
    assert {r for r in Role if can_note(r, state)} == ({Role.INTERVIEWER} if live else set())
    expected = {Role.INTERVIEWER, Role.CANDIDATE, Role.OBSERVER} if live else set()
    assert {r for r in Role if can_signal(r, state)} == expected
