"""The dashboard: sessions with copyable join links, new session, end, rotate links."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from server.accounts.models import Principal
from server.accounts.permissions import can_create_sessions, require
from server.errors import InvalidInput
from server.sessions.languages import LANGUAGES
from server.sessions.lifecycle import SessionState
from server.sessions.roles import Role
from server.web import csrf
from server.web.api.sessions import join_url
from server.web.auth import PagePrincipal, ServicesDep
from server.web.pages.rendering import render
from server.web.services import Services

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
CsrfField = Annotated[str, Form(alias=csrf.CSRF_FIELD, max_length=128)]


@router.get("/dashboard")
async def dashboard(
    request: Request, svc: ServicesDep, principal: PagePrincipal, state: str = ""
) -> Response:
    return await _dashboard(request, svc, principal, state=state)


async def _dashboard(
    request: Request,
    svc: Services,
    principal: Principal,
    *,
    state: str = "",
    error: str = "",
    status_code: int = 200,
) -> Response:
    wanted = SessionState(state) if state in {s.value for s in SessionState} else None
    sessions = await svc.sessions.list_sessions(org_id=principal.org_id, state=wanted, limit=PAGE_SIZE)
    may_share = can_create_sessions(principal.role)
    rows = []
    for session in sessions:
        links = await svc.sessions.links(session) if may_share else []
        rows.append(
            {
                "session": session,
                "links": [
                    {
                        "role": i.link.role.value,
                        "url": join_url(svc, i.token),
                        "expires_at": i.link.expires_at,
                    }
                    for i in links
                ],
            }
        )
    return render(
        request,
        svc,
        "dashboard.html",
        {
            "rows": rows,
            "state": wanted.value if wanted else "",
            "states": [s.value for s in SessionState],
            "languages": LANGUAGES,
            "may_create": may_share,
            "error": error,
        },
        principal=principal,
        status_code=status_code,
    )


@router.post("/dashboard/sessions")
async def create_session(
    request: Request,
    svc: ServicesDep,
    principal: PagePrincipal,
    csrf_token: CsrfField = "",
    title: Annotated[str, Form(max_length=400)] = "",
    language: Annotated[str, Form(max_length=32)] = "python",
) -> Response:
    csrf.verify(request, svc.settings, csrf_token)
    require(can_create_sessions(principal.role), "create sessions")
    try:
        session, _ = await svc.sessions.create(
            org_id=principal.org_id, title=title, language=language, created_by=principal.user.id
        )
    except InvalidInput as exc:
        return await _dashboard(request, svc, principal, error=exc.message, status_code=422)
    return RedirectResponse(f"/dashboard#session-{session.id}", status_code=303)


@router.post("/dashboard/sessions/{session_id}/end")
async def end_session(
    request: Request, session_id: str, svc: ServicesDep, principal: PagePrincipal, csrf_token: CsrfField = ""
) -> Response:
    csrf.verify(request, svc.settings, csrf_token)
    require(can_create_sessions(principal.role), "end sessions")
    await svc.end_session(session_id, org_id=principal.org_id)
    return RedirectResponse(f"/dashboard#session-{session_id}", status_code=303)


@router.post("/dashboard/sessions/{session_id}/links/{role}/rotate")
async def rotate_link(
    request: Request,
    session_id: str,
    role: str,
    svc: ServicesDep,
    principal: PagePrincipal,
    csrf_token: CsrfField = "",
) -> Response:
    csrf.verify(request, svc.settings, csrf_token)
    require(can_create_sessions(principal.role), "manage join links")
    if role not in {r.value for r in Role}:
        raise InvalidInput(f"unknown role {role!r}")
    session = await svc.sessions.get(session_id, org_id=principal.org_id)
    await svc.sessions.rotate_link(session, Role(role))
    return RedirectResponse(f"/dashboard#session-{session_id}", status_code=303)
