"""Participant roles and the permission rules every server-side check goes through."""

from __future__ import annotations

from enum import StrEnum

from server.sessions.lifecycle import SessionState


class Role(StrEnum):
    """What a connection to a live session may do."""

    INTERVIEWER = "interviewer"
    CANDIDATE = "candidate"
    OBSERVER = "observer"
    REVIEWER = "reviewer"


#: Roles that get a join link when a session is created.
LINK_ROLES: tuple[Role, ...] = (Role.INTERVIEWER, Role.CANDIDATE, Role.OBSERVER)
#: Roles held by members of the session's organization: their access follows their membership
#: and their sign-in, never a link. Everyone else is a guest whose access follows their link.
MEMBER_ROLES = frozenset({Role.INTERVIEWER, Role.REVIEWER})
GUEST_ROLES = frozenset({Role.CANDIDATE, Role.OBSERVER})


def can_edit(role: Role, state: SessionState) -> bool:
    """Document writes: interviewers and candidates, and only while the session is not ended."""
    return state is not SessionState.ENDED and role in {Role.INTERVIEWER, Role.CANDIDATE}


def can_run(role: Role, state: SessionState) -> bool:
    """Running code in the sandbox follows the same rule as editing."""
    return can_edit(role, state)


def can_chat(role: Role, state: SessionState) -> bool:
    return state is not SessionState.ENDED and role is not Role.REVIEWER


def sees_private(role: Role) -> bool:
    """Interviewer notes, hidden tests and reference solutions: interviewers (and reviewers) only."""
    return role in {Role.INTERVIEWER, Role.REVIEWER}


def can_join(role: Role, state: SessionState) -> bool:
    """Reviewers open finished sessions only; guests (candidates, observers) lose access when the
    session ends; interviewers may still read an ended session (its room is read-only then)."""
    if role is Role.REVIEWER:
        return state is SessionState.ENDED
    if role in GUEST_ROLES:
        return state is not SessionState.ENDED
    return True


def can_control_session(role: Role) -> bool:
    """End the session, rotate links, see everyone's integrity signals."""
    return role is Role.INTERVIEWER


def can_note(role: Role, state: SessionState) -> bool:
    """Private notes during the live session: interviewers (reviewers never join live sessions,
    and an ended session takes no more notes)."""
    return state is not SessionState.ENDED and sees_private(role) and role is not Role.REVIEWER


def can_signal(role: Role, state: SessionState) -> bool:
    """Integrity signals (a paste, the window's focus, the tab hidden) come from any participant
    of a live session; reviewers only ever see ended ones."""
    return state is not SessionState.ENDED and role is not Role.REVIEWER


def can_publish_media(role: Role, state: SessionState) -> bool:
    """Microphone, camera, screen: interviewers and candidates of a live session. Observers
    receive audio and video and never publish."""
    return state is not SessionState.ENDED and role in {Role.INTERVIEWER, Role.CANDIDATE}


def can_receive_media(role: Role, state: SessionState) -> bool:
    """Everyone in a live session (reviewers only ever see ended ones)."""
    return state is not SessionState.ENDED and role is not Role.REVIEWER
