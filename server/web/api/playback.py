"""Playback of a recorded session: its timeline, its state at a moment, the events of a stretch.

One implementation, two doors: ``/api/v1/sessions/{id}/playback/...`` for API keys (here) and
``/s/{id}/playback/...`` for the signed-in browser (``server/web/pages/playback.py``). Who: the
members of the session's organization, admins and interviewers at any time, reviewers once the
session has ended; guests never (they hold no API key, and the page refuses their cookie).
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query

from server.accounts.models import OrgRole, Principal
from server.accounts.permissions import can_interview
from server.errors import BadRequest, Forbidden
from server.playback.model import EventPage, PlaybackState, Timeline
from server.playback.ranges import MAX_PAGE
from server.sessions.lifecycle import SessionState
from server.sessions.models import Session
from server.web.api.sessions import ERRORS, NOT_FOUND, SessionId
from server.web.auth import ApiPrincipal, ServicesDep
from server.web.services import Services

router = APIRouter(prefix="/api/v1/sessions", tags=["playback"], responses={**ERRORS, **NOT_FOUND})

#: Times are server milliseconds since the epoch; JavaScript's integers end at 2^53.
MAX_MS = 2**53 - 1
Moment = Annotated[int, Query(ge=0, le=MAX_MS, description="server time, ms since the epoch")]
After = Annotated[
    int, Query(ge=0, le=MAX_MS, description="the last event id already seen (0: from the start)")
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="events per page at most")]


async def playback_session(svc: Services, principal: Principal, session_id: str) -> Session:
    """The session, if ``principal`` may play it back (404 outside their organization)."""
    session = await svc.sessions.get(session_id, org_id=principal.org_id)
    if can_interview(principal.role):
        return session
    if principal.role is OrgRole.REVIEWER and session.state is SessionState.ENDED:
        return session
    raise Forbidden("reviewers can play a session back once it has ended")


async def timeline_of(svc: Services, principal: Principal, session_id: str) -> Timeline:
    return await svc.playback.timeline(await playback_session(svc, principal, session_id))


async def state_of(svc: Services, principal: Principal, session_id: str, t: int) -> PlaybackState:
    return await svc.playback.state(await playback_session(svc, principal, session_id), t)


async def events_of(
    svc: Services, principal: Principal, session_id: str, *, ts_from: int, ts_to: int, after: int, limit: int
) -> EventPage:
    if ts_to < ts_from:
        raise BadRequest("`to` is before `from`", details={"field": "to"})
    session = await playback_session(svc, principal, session_id)
    return await svc.playback.events(session, ts_from=ts_from, ts_to=ts_to, after=after, limit=limit)


@router.get("/{session_id}/playback/timeline", summary="A recorded session's timeline")
async def timeline(session_id: SessionId, principal: ApiPrincipal, svc: ServicesDep) -> Timeline:
    return await timeline_of(svc, principal, session_id)


@router.get("/{session_id}/playback/state", summary="A recorded session as it was at a moment")
async def state(session_id: SessionId, principal: ApiPrincipal, svc: ServicesDep, t: Moment) -> PlaybackState:
    return await state_of(svc, principal, session_id, t)


@router.get(
    "/{session_id}/playback/events",
    summary="A recorded session's events between two moments, a page at a time",
    responses={400: ERRORS[400]},
)
async def events(
    session_id: SessionId,
    principal: ApiPrincipal,
    svc: ServicesDep,
    ts_from: Annotated[int, Query(alias="from", ge=0, le=MAX_MS, description="server time, ms")],
    ts_to: Annotated[int, Query(alias="to", ge=0, le=MAX_MS, description="server time, ms")],
    after: After = 0,
    limit: Limit = 500,
) -> EventPage:
    return await events_of(svc, principal, session_id, ts_from=ts_from, ts_to=ts_to, after=after, limit=limit)


#: Recorded files one session lists at most (a reconnect starts new ones).
MAX_SEGMENTS = 1000


async def recorded_media(svc: Services, session_id: str) -> list[dict[str, object]]:
    """The ``media.segment`` events of a session: one recorded file each, oldest first."""
    events = await svc.recording.read_latest(session_id, kinds=("media.segment",), limit=MAX_SEGMENTS)
    segments = []
    for event in events:
        try:
            segment = json.loads(event.data)
        except ValueError:
            continue
        if isinstance(segment, dict):
            segments.append(segment)
    return segments
