"""The pad page: the live editor for one session (the editor bundle takes over in the browser)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from server.accounts.models import Principal
from server.accounts.permissions import can_interview
from server.errors import DuetError, Forbidden, NotFound
from server.sessions.lifecycle import SessionState
from server.sessions.roles import Role, can_edit, sees_private
from server.sessions.service import Credential
from server.web.auth import OptionalPagePrincipal, ServicesDep, participant_cookie
from server.web.pages.join import admitted
from server.web.pages.rendering import render
from server.web.services import Services

router = APIRouter(include_in_schema=False)


async def _member_admission(svc: Services, principal: Principal, session_id: str) -> Response:
    session = await svc.sessions.get(session_id, org_id=principal.org_id)
    if can_interview(principal.role):
        role = Role.INTERVIEWER
    elif session.state is SessionState.ENDED:
        role = Role.REVIEWER
    else:
        raise Forbidden("reviewers can open a session once it has ended")
    admission = await svc.sessions.admit_member(
        session, user_id=principal.user.id, display_name=principal.user.display_name, role=role
    )
    return admitted(svc, admission)


@router.get("/s/{session_id}")
async def pad(
    request: Request, session_id: str, svc: ServicesDep, principal: OptionalPagePrincipal
) -> Response:
    token = request.cookies.get(participant_cookie(session_id), "")
    credential: Credential | None = None
    if token:
        try:
            credential = await svc.sessions.authenticate(session_id, token)
        except DuetError:
            credential = None
    if credential is None:
        if principal is not None:
            return await _member_admission(svc, principal, session_id)
        raise NotFound("open this session through its join link")
    participant, session = credential.participant, credential.session
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
