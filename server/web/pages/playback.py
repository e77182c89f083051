"""The playback page and its JSON, for the signed-in browser (login cookie). The JSON is the
REST API's (``server/web/api/playback.py``): same code, same checks. A guest's participant
cookie opens none of it: 403, where a browser with no cookie at all is sent to sign in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import FileResponse, Response

from server.accounts.models import Principal
from server.errors import DuetError, Forbidden, Unauthenticated
from server.playback.model import EventPage, PlaybackState, Timeline
from server.web.api.playback import (
    MAX_MS,
    After,
    Limit,
    MediaSegmentOut,
    Moment,
    events_of,
    media_file_of,
    media_of,
    playback_session,
    state_of,
    timeline_of,
)
from server.web.auth import OptionalPagePrincipal, ServicesDep, participant_cookie
from server.web.pages.rendering import render
from server.web.services import Services

router = APIRouter(include_in_schema=False)


async def viewer(request: Request, svc: Services, principal: Principal | None, session_id: str) -> Principal:
    """The signed-in member; a guest of this session (and anyone else not signed in) is refused."""
    if principal is not None:
        return principal
    token = request.cookies.get(participant_cookie(session_id), "")
    if token:
        try:
            await svc.sessions.authenticate(session_id, token)
        except Forbidden:  # a guest of this session whose access ended (the session did)
            pass
        except DuetError:  # not a token of this session at all
            raise Unauthenticated("please sign in") from None
        raise Forbidden("playback is for the members of the session's organization")
    raise Unauthenticated("please sign in")


@router.get("/s/{session_id}/playback")
async def page(
    request: Request, session_id: str, svc: ServicesDep, principal: OptionalPagePrincipal
) -> Response:
    who = await viewer(request, svc, principal, session_id)
    session = await playback_session(svc, who, session_id)
    return render(request, svc, "playback.html", {"session": session}, principal=who)


@router.get("/s/{session_id}/playback/timeline")
async def timeline(
    request: Request, session_id: str, svc: ServicesDep, principal: OptionalPagePrincipal
) -> Timeline:
    return await timeline_of(svc, await viewer(request, svc, principal, session_id), session_id)


@router.get("/s/{session_id}/playback/state")
async def state(
    request: Request, session_id: str, svc: ServicesDep, principal: OptionalPagePrincipal, t: Moment
) -> PlaybackState:
    return await state_of(svc, await viewer(request, svc, principal, session_id), session_id, t)


@router.get("/s/{session_id}/playback/events")
async def events(
    request: Request,
    session_id: str,
    svc: ServicesDep,
    principal: OptionalPagePrincipal,
    ts_from: Annotated[int, Query(alias="from", ge=0, le=MAX_MS)],
    ts_to: Annotated[int, Query(alias="to", ge=0, le=MAX_MS)],
    after: After = 0,
    limit: Limit = 500,
) -> EventPage:
    who = await viewer(request, svc, principal, session_id)
    return await events_of(svc, who, session_id, ts_from=ts_from, ts_to=ts_to, after=after, limit=limit)


@router.get("/s/{session_id}/playback/media")
async def media_segments(
    request: Request, svc: ServicesDep, principal: OptionalPagePrincipal, session_id: str
) -> list[MediaSegmentOut]:
    return await media_of(svc, await viewer(request, svc, principal, session_id), session_id)


@router.get("/s/{session_id}/playback/media/{name}")
async def media_file(
    request: Request, svc: ServicesDep, principal: OptionalPagePrincipal, session_id: str, name: str
) -> FileResponse:
    return await media_file_of(svc, await viewer(request, svc, principal, session_id), session_id, name)
