"""/api/v1/sessions: create, list, show, end; rotate links; list participants."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from server.accounts.models import Principal
from server.accounts.permissions import can_create_sessions, require
from server.sessions.lifecycle import SessionState
from server.sessions.models import IssuedLink, Session
from server.sessions.roles import Role
from server.web.api.cursors import decode_cursor, encode_cursor
from server.web.api.schemas import (
    JoinUrls,
    LinkOut,
    LinkRole,
    ParticipantOut,
    SessionCreate,
    SessionOut,
    SessionPage,
)
from server.web.auth import ApiPrincipal, ServicesDep
from server.web.problems import Problem
from server.web.services import Services

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The request cannot be parsed (body or cursor)."},
    401: {"model": Problem, "description": "Missing, invalid or revoked API key."},
    403: {"model": Problem, "description": "Your role does not allow this."},
    422: {"model": Problem, "description": "The request is malformed."},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "No such session."}}

router = APIRouter(prefix="/api/v1/sessions", tags=["sessions"], responses=ERRORS)

SessionId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")]


def join_url(svc: Services, token: str) -> str:
    return f"{svc.settings.effective_base_url}/j/{token}"


async def session_out(svc: Services, principal: Principal, session: Session) -> SessionOut:
    links: list[IssuedLink] = []
    if can_create_sessions(principal.role):
        links = await svc.sessions.links(session)
    urls = {issued.link.role.value: join_url(svc, issued.token) for issued in links}
    join = JoinUrls(**urls) if len(urls) == 3 else None
    return SessionOut(
        id=session.id,
        title=session.title,
        language=session.language,
        state=session.state,
        created_at=session.created_at,
        started_at=session.started_at,
        ended_at=session.ended_at,
        join=join,
        links=[
            LinkOut(
                role=issued.link.role.value,
                url=join_url(svc, issued.token),
                expires_at=issued.link.expires_at,
            )
            for issued in links
        ],
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a live session")
async def create_session(
    body: SessionCreate, principal: ApiPrincipal, svc: ServicesDep, response: Response
) -> SessionOut:
    require(can_create_sessions(principal.role), "create sessions")
    ttl = timedelta(hours=body.link_ttl_hours) if body.link_ttl_hours else None
    session, _ = await svc.sessions.create(
        org_id=principal.org_id,
        title=body.title,
        language=str(body.language),
        created_by=principal.user.id,
        link_ttl=ttl,
    )
    response.headers["Location"] = f"/api/v1/sessions/{session.id}"
    return await session_out(svc, principal, session)


@router.get("", summary="List sessions, newest first")
async def list_sessions(
    principal: ApiPrincipal,
    svc: ServicesDep,
    state: SessionState | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> SessionPage:
    before = decode_cursor(cursor) if cursor else None
    sessions = await svc.sessions.list_sessions(
        org_id=principal.org_id, state=state, limit=limit + 1, before=before
    )
    page = list(sessions[:limit])
    items = [await session_out(svc, principal, s) for s in page]
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(sessions) > limit else None
    return SessionPage(items=items, next_cursor=next_cursor)


@router.get("/{session_id}", summary="Show one session", responses=NOT_FOUND)
async def get_session(session_id: SessionId, principal: ApiPrincipal, svc: ServicesDep) -> SessionOut:
    session = await svc.sessions.get(session_id, org_id=principal.org_id)
    return await session_out(svc, principal, session)


@router.post("/{session_id}/end", summary="End a session (it becomes read-only)", responses=NOT_FOUND)
async def end_session(session_id: SessionId, principal: ApiPrincipal, svc: ServicesDep) -> SessionOut:
    require(can_create_sessions(principal.role), "end sessions")
    session = await svc.end_session(session_id, org_id=principal.org_id)
    return await session_out(svc, principal, session)


@router.post(
    "/{session_id}/links/{role}/rotate",
    summary="Revoke a role's join link and issue a new one",
    responses=NOT_FOUND,
)
async def rotate_link(
    session_id: SessionId,
    role: LinkRole,
    principal: ApiPrincipal,
    svc: ServicesDep,
) -> LinkOut:
    require(can_create_sessions(principal.role), "manage join links")
    session = await svc.sessions.get(session_id, org_id=principal.org_id)
    issued = await svc.sessions.rotate_link(session, Role(str(role)))
    return LinkOut(
        role=issued.link.role.value, url=join_url(svc, issued.token), expires_at=issued.link.expires_at
    )


@router.get("/{session_id}/participants", summary="Who joined a session", responses=NOT_FOUND)
async def list_participants(
    session_id: SessionId, principal: ApiPrincipal, svc: ServicesDep
) -> list[ParticipantOut]:
    session = await svc.sessions.get(session_id, org_id=principal.org_id)
    return [
        ParticipantOut(id=p.id, role=p.role.value, display_name=p.display_name, joined_at=p.joined_at)
        for p in await svc.sessions.participants(session)
    ]
