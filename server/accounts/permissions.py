"""What each organization role may do. Checked on the server for every request."""

from __future__ import annotations

from server.accounts.models import OrgRole
from server.errors import Forbidden


def can_create_sessions(role: OrgRole) -> bool:
    return role in {OrgRole.ADMIN, OrgRole.INTERVIEWER}


def can_interview(role: OrgRole) -> bool:
    """Open a session's pad as an interviewer (private notes, hidden tests)."""
    return role in {OrgRole.ADMIN, OrgRole.INTERVIEWER}


def can_run_code(role: OrgRole) -> bool:
    """Run code through the API: what interviewers do in a pad (reviewers only watch)."""
    return role in {OrgRole.ADMIN, OrgRole.INTERVIEWER}


def can_manage_members(role: OrgRole) -> bool:
    return role is OrgRole.ADMIN


def require(allowed: bool, action: str) -> None:
    if not allowed:
        raise Forbidden(f"your role does not allow you to {action}")
