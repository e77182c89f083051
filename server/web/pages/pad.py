"""The pad page: the live editor for one session (the editor bundle takes over in the browser).

Two kinds of people open it. Guests (candidates, observers) joined through a link and hold a
per-session participant cookie. Members of the session's organization open it signed in, as
interviewers (or, once it has ended, as reviewers): their page carries a member token bound to
their sign-in, so signing out, being disabled or losing the right to interview ends their pad
access wherever the token went. Entering a session as a member changes state (a participant
is created, the session goes live), so it is a POST.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from server.accounts.models import Principal
from server.accounts.permissions import can_interview
from server.errors import DuetError, Forbidden, Gone, NotFound, Unauthenticated
from server.sessions.lifecycle import SessionState
from server.sessions.models import Participant, Session
from server.sessions.roles import Role, can_edit, sees_private
from server.sessions.service import Credential
from server.web import csrf
from server.web.auth import OptionalPagePrincipal, PagePrincipal, ServicesDep, participant_cookie
from server.web.pages.rendering import render
from server.web.services import Services

router = APIRouter(include_in_schema=False)


def member_role(principal: Principal, session: Session) -> Role:
    """The role a member opens their organization's session in."""
    if can_interview(principal.role):
        return Role.INTERVIEWER
    if session.state is SessionState.ENDED:
        return Role.REVIEWER
    raise Forbidden("reviewers can open a session once it has ended")


async def _guest(svc: Services, request: Request, session_id: str) -> Credential | None:
    token = request.cookies.get(participant_cookie(session_id), "")
    if not token:
        return None
    try:
        return await svc.sessions.authenticate(session_id, token)
    except DuetError:
        return None


@router.get("/s/{session_id}")
async def pad(
    request: Request, session_id: str, svc: ServicesDep, principal: OptionalPagePrincipal
) -> Response:
    guest = await _guest(svc, request, session_id)
    if guest is not None:
        token = request.cookies.get(participant_cookie(session_id), "")
        return await _render(request, svc, guest.participant, guest.session, token, principal)
    if principal is None:
        raise NotFound("open this session through its join link")
    session = await svc.sessions.get(session_id, org_id=principal.org_id)
    role = member_role(principal, session)
    participant = await svc.sessions.member_participant(session, user_id=principal.user.id, role=role)
    if participant is None:
        return render(
            request, svc, "enter.html", {"session": session, "role": role.value}, principal=principal
        )
    if principal.login_id is None:
        raise Unauthenticated("please sign in")
    token = svc.sessions.member_token(participant, principal.login_id)
    return await _render(request, svc, participant, session, token, principal)


@router.post("/s/{session_id}/enter")
async def enter(
    request: Request,
    session_id: str,
    svc: ServicesDep,
    principal: PagePrincipal,
    csrf_token: Annotated[str, Form(alias=csrf.CSRF_FIELD, max_length=128)] = "",
) -> Response:
    """A member enters their organization's session (as interviewer, or reviewer once ended)."""
    csrf.verify(request, svc.settings, csrf_token)
    session = await svc.sessions.get(session_id, org_id=principal.org_id)
    await svc.sessions.admit_member(
        session,
        user_id=principal.user.id,
        display_name=principal.user.display_name,
        role=member_role(principal, session),
    )
    return RedirectResponse(f"/s/{session.id}", status_code=303)


async def _render(
    request: Request,
    svc: Services,
    participant: Participant,
    session: Session,
    token: str,
    principal: Principal | None,
) -> Response:
    if session.read_only and (deleted := await svc.audit.recording_deletion(session.id)):
        raise Gone(f"this session's recording was deleted on {deleted.created_at:%Y-%m-%d %H:%M} UTC")
    return render(
        request,
        svc,
        "pad.html",
        {
            "session": session,
            "participant": participant,
            "token": token,
            "role": participant.role.value,
            "can_edit": can_edit(participant.role, session.state),
            "sees_private": sees_private(participant.role),
            "participants": await svc.sessions.participants(session),
        },
        principal=principal,
    )
