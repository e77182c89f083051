"""A session's timeline: facts, participants, markers and where the activity was.

Markers come from the sparse events (never the edits or cursor moves): joins and leaves, runs
(one marker from start to finish, with its status and test counts), chat, interviewers' notes,
large pastes, lost focus and hidden tabs, the terminal, the end. Activity is counted per 5 s
from every event but cursor moves (awareness is renewed every 15 s even when nobody moves);
seconds closer than ``IDLE_GAP_MS`` join one active span, and the player compresses the rest.
"""

from __future__ import annotations

import json
from typing import Any

from server.playback.colors import color_for
from server.playback.model import Marker, PlaybackParticipant, SessionFacts, Timeline
from server.playback.store import PlaybackStore
from server.recording.events import Event, EventKind
from server.sessions.models import Session

IDLE_GAP_MS = 20_000
BUCKET_MS = 5_000
MAX_MARKER_EVENTS = 20_000
LARGE_PASTE_CHARS = 200
MAX_TEXT = 2_000

FILE_KINDS: tuple[str, ...] = (
    EventKind.FILE_CREATED,
    EventKind.FILE_DELETED,
    EventKind.FILE_RENAMED,
    EventKind.FILE_LANGUAGE,
)
MARKER_KINDS = (
    EventKind.JOIN,
    EventKind.LEAVE,
    EventKind.SESSION_ENDED,
    "run.started",
    "run.finished",
    "chat",
    "note",
    "signal",
    "terminal.opened",
    "terminal.closed",
    *FILE_KINDS,
)


def facts(session: Session) -> SessionFacts:
    return SessionFacts(
        id=session.id,
        title=session.title,
        language=session.language,
        state=session.state.value,
        created_at=session.created_at,
        started_at=session.started_at,
        ended_at=session.ended_at,
    )


def json_of(event: Event) -> dict[str, Any]:
    """An event's JSON object ({} when it is not one: the log is read, never trusted)."""
    try:
        value = json.loads(event.data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def timeline(store: PlaybackStore, session: Session) -> Timeline:
    events = await store.window(session.id, kinds=MARKER_KINDS, after_id=0, limit=MAX_MARKER_EVENTS + 1)
    truncated = len(events) > MAX_MARKER_EVENTS
    events = events[:MAX_MARKER_EVENTS]
    buckets = await store.activity(session.id, bucket_ms=BUCKET_MS)
    participants: dict[str, PlaybackParticipant] = {}
    markers: list[Marker] = []
    runs: dict[str, int] = {}  # run id -> index of its marker
    for event in events:
        data = json_of(event)
        marker = _marker(event, data, participants, runs, markers)
        if marker is not None:
            markers.append(marker)
    spans: list[list[int]] = []
    for bucket in buckets:
        if bucket.events == bucket.cursor_moves:
            continue  # cursor moves only: idle
        # a bucket's bounds include its cursor moves: close enough for where activity was
        if spans and bucket.first_ms - spans[-1][1] < IDLE_GAP_MS:
            spans[-1][1] = bucket.last_ms
        else:
            spans.append([bucket.first_ms, bucket.last_ms])
    start_ms = buckets[0].first_ms if buckets else 0
    end_ms = buckets[-1].last_ms if buckets else 0
    return Timeline(
        session=facts(session),
        start_ms=start_ms,
        end_ms=end_ms,
        participants=list(participants.values()),
        markers=markers,
        active_spans=spans,
        idle_gap_ms=IDLE_GAP_MS,
        updates=sum(bucket.updates for bucket in buckets),
        truncated=truncated,
    )


def _marker(
    event: Event,
    data: dict[str, Any],
    participants: dict[str, PlaybackParticipant],
    runs: dict[str, int],
    markers: list[Marker],
) -> Marker | None:
    base: dict[str, Any] = {"id": event.id, "ts": event.ts_ms, "kind": event.kind, "author": event.author}
    kind = event.kind
    if kind == EventKind.JOIN:
        pid = _str(data.get("participant_id")) or event.author
        name = _str(data.get("name")) or ""
        if pid is not None and pid not in participants:
            participants[pid] = PlaybackParticipant(
                id=pid,
                name=name,
                role=_str(data.get("role")) or "",
                color=color_for(pid),
                joined_ms=event.ts_ms,
            )
        return Marker(**base, name=name)
    if kind in {EventKind.LEAVE, EventKind.SESSION_ENDED, "terminal.opened", "terminal.closed"}:
        return Marker(**base, name=_str(data.get("by")))
    if kind in FILE_KINDS:
        return Marker(
            **base,
            path=_str(data.get("path")) or _str(data.get("from")),
            renamed_to=_str(data.get("to")),
            language=_str(data.get("language")),
        )
    if kind in {"chat", "note"}:
        text = _str(data.get("text")) or ""
        return Marker(**base, name=_str(data.get("from")), text=text[:MAX_TEXT])
    if kind == "run.started":
        run_id = _str(data.get("run_id"))
        if run_id is None:
            return None
        runs[run_id] = len(markers)
        return Marker(
            **{**base, "kind": "run"},
            run_id=run_id,
            name=_str(data.get("by")),
            mode=_str(data.get("mode")),
            status="running",
        )
    if kind == "run.finished":
        _finish(event, data, runs, markers)
        return None
    if kind == "signal":
        return _signal(base, data)
    return None


def _finish(event: Event, data: dict[str, Any], runs: dict[str, int], markers: list[Marker]) -> None:
    index = runs.pop(_str(data.get("run_id")) or "", None)
    if index is None:
        return
    result = data.get("result")
    status, passed, failed = "error", None, None
    if isinstance(result, dict):
        status = _str(result.get("status")) or "error"
        tests = result.get("tests")
        if isinstance(tests, list):
            outcomes = [t.get("status") for t in tests if isinstance(t, dict)]
            passed = sum(1 for s in outcomes if s == "passed")
            failed = len(outcomes) - passed
    markers[index] = markers[index].model_copy(
        update={"end_ts": event.ts_ms, "status": status, "passed": passed, "failed": failed}
    )


def _signal(base: dict[str, Any], data: dict[str, Any]) -> Marker | None:
    kind = data.get("kind")
    author = _str(data.get("participant")) or base["author"]
    common = {**base, "author": author, "name": _str(data.get("from"))}
    if kind == "paste":
        chars = _int(data.get("chars"))
        if chars is None or chars < LARGE_PASTE_CHARS:
            return None
        external = data.get("external")
        return Marker(
            **{**common, "kind": "paste"},
            chars=chars,
            external=external if isinstance(external, bool) else None,
        )
    state = _str(data.get("state"))
    if kind == "focus" and state == "lost" or kind == "visibility" and state == "hidden":
        return Marker(**{**common, "kind": str(kind)}, state=state)
    return None
