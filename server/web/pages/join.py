"""The page a join link opens: guests give a display name; interviewers sign in, then enter as
members of the session's organization (their access follows their membership, not the link).
Nothing changes on a GET: joining is the form's POST."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from server.accounts.models import Principal
from server.accounts.permissions import can_interview
from server.errors import DuetError, Forbidden
from server.sessions.models import Admission, Session
from server.sessions.roles import Role
from server.web import csrf
from server.web.auth import OptionalPagePrincipal, ServicesDep, participant_cookie, set_cookie
from server.web.pages.rendering import render
from server.web.services import Services

router = APIRouter(include_in_schema=False)

Token = Annotated[str, "join-link token"]


def admitted(svc: Services, admission: Admission) -> Response:
    """Send the new guest to the pad, holding its token in a per-session HttpOnly cookie that
    lasts as long as the token does."""
    response = RedirectResponse(f"/s/{admission.session.id}", status_code=303)
    set_cookie(
        response,
        svc.settings,
        participant_cookie(admission.session.id),
        admission.token,
        max_age=int(svc.settings.participant_ttl_hours * 3600),
    )
    return response


def _interviewer_allowed(principal: Principal, session: Session) -> None:
    if principal.org_id != session.org_id or not can_interview(principal.role):
        raise Forbidden("only interviewers of this organization may use this link")


@router.get("/j/{token}")
async def join_page(
    request: Request, token: Token, svc: ServicesDep, principal: OptionalPagePrincipal
) -> Response:
    link, session = await svc.sessions.open_link(token)
    if link.role is Role.INTERVIEWER:
        if principal is None:
            return RedirectResponse(f"/login?next={quote(f'/j/{token}', safe='')}", status_code=303)
        _interviewer_allowed(principal, session)
        context = {"session": session, "role": link.role.value, "display_name": "", "error": None}
        return render(request, svc, "join.html", context, principal=principal)
    existing = request.cookies.get(participant_cookie(session.id), "")
    if existing:
        try:
            credential = await svc.sessions.authenticate(session.id, existing)
        except DuetError:
            credential = None
        if credential is not None and credential.participant.role is link.role:
            return RedirectResponse(f"/s/{session.id}", status_code=303)
    return render(
        request,
        svc,
        "join.html",
        {
            "session": session,
            "role": link.role.value,
            "display_name": principal.user.display_name if principal else "",
            "error": None,
        },
        principal=principal,
    )


@router.post("/j/{token}")
async def join(
    request: Request,
    token: Token,
    svc: ServicesDep,
    principal: OptionalPagePrincipal,
    display_name: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(alias=csrf.CSRF_FIELD, max_length=128)] = "",
) -> Response:
    csrf.verify(request, svc.settings, csrf_token)
    link, session = await svc.sessions.open_link(token)
    if link.role is Role.INTERVIEWER:
        if principal is None:
            return RedirectResponse(f"/login?next={quote(f'/j/{token}', safe='')}", status_code=303)
        _interviewer_allowed(principal, session)
        await svc.sessions.join(token, display_name=principal.user.display_name, user_id=principal.user.id)
        return RedirectResponse(f"/s/{session.id}", status_code=303)
    same_org = principal is not None and principal.org_id == session.org_id
    try:
        admission = await svc.sessions.join(
            token, display_name=display_name, user_id=principal.user.id if principal and same_org else None
        )
    except DuetError as exc:
        if exc.status != 422:
            raise
        context = {
            "session": session,
            "role": link.role.value,
            "display_name": display_name,
            "error": exc.message,
        }
        return render(request, svc, "join.html", context, principal=principal, status_code=422)
    return admitted(svc, admission)
