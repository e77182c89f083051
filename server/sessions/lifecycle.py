"""Session lifecycle: created -> live -> ended. An ended session is read-only."""

from __future__ import annotations

from enum import StrEnum

from server.errors import Conflict


class SessionState(StrEnum):
    CREATED = "created"
    LIVE = "live"
    ENDED = "ended"


_ALLOWED: dict[SessionState, frozenset[SessionState]] = {
    SessionState.CREATED: frozenset({SessionState.LIVE, SessionState.ENDED}),
    SessionState.LIVE: frozenset({SessionState.ENDED}),
    SessionState.ENDED: frozenset(),
}


def transition(current: SessionState, target: SessionState) -> SessionState:
    """Return ``target`` if the lifecycle allows moving there from ``current``, else raise Conflict."""
    if target in _ALLOWED[current]:
        return target
    raise Conflict(
        f"a {current.value} session cannot become {target.value}",
        details={"state": current.value, "target": target.value},
    )
