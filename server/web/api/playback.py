"""Playback of a recorded session: its timeline, its state at a moment, the events of a stretch.

One implementation, two doors: ``/api/v1/sessions/{id}/playback/...`` for API keys (here) and
``/s/{id}/playback/...`` for the signed-in browser (``server/web/pages/playback.py``). Who: the
members of the session's organization, admins and interviewers at any time, reviewers once the
session has ended; guests never (they hold no API key, and the page refuses their cookie).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field, ValidationError
from starlette.responses import FileResponse

from server.accounts.models import OrgRole, Principal
from server.accounts.permissions import can_interview
from server.errors import BadRequest, Forbidden, NotFound
from server.media.files import NAME as MEDIA_NAME
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


class MediaSegmentOut(BaseModel):
    """One recorded audio or video file: a ``media.segment`` event (docs/media.md)."""

    participant_id: str
    stream: str = Field(description="camera or screen")
    kind: Literal["audio", "video"]
    file: str = Field(description="its name under .../playback/media/")
    codec: str
    start_ms: int = Field(description="server time of its first frame, ms since the epoch")
    end_ms: int
    frames: int
    bytes: int
    truncated: bool


async def recorded_media(svc: Services, session_id: str) -> list[MediaSegmentOut]:
    """The ``media.segment`` events of a session: one recorded file each, oldest first."""
    events = await svc.recording.read_latest(session_id, kinds=("media.segment",), limit=MAX_SEGMENTS)
    segments = []
    for event in events:
        try:
            segments.append(MediaSegmentOut.model_validate_json(event.data))
        except ValidationError:  # recorded by a version of Duet that said it differently
            continue
    return segments


async def media_of(svc: Services, principal: Principal, session_id: str) -> list[MediaSegmentOut]:
    session = await playback_session(svc, principal, session_id)
    return await recorded_media(svc, session.id)


async def media_file_of(svc: Services, principal: Principal, session_id: str, name: str) -> FileResponse:
    session = await playback_session(svc, principal, session_id)
    path = svc.media.root / session.id / name
    if not MEDIA_NAME.match(name) or not path.is_file():
        raise NotFound("no such recorded file")
    return FileResponse(path, media_type="video/webm" if "-video-" in name else "audio/webm")


@router.get("/{session_id}/playback/media", summary="A recorded session's audio and video files")
async def media(session_id: SessionId, principal: ApiPrincipal, svc: ServicesDep) -> list[MediaSegmentOut]:
    return await media_of(svc, principal, session_id)


@router.get(
    "/{session_id}/playback/media/{name}",
    summary="One recorded audio or video file (WebM; range requests)",
    response_class=FileResponse,
    responses={200: {"content": {"video/webm": {}, "audio/webm": {}}}},
)
async def media_file(
    session_id: SessionId,
    principal: ApiPrincipal,
    svc: ServicesDep,
    name: Annotated[str, Path(max_length=120, description="a file named by a media segment")],
) -> FileResponse:
    return await media_file_of(svc, principal, session_id, name)
