"""The state of a session at a moment ``t``: the document (one seek point plus the updates after it
up to ``t``), every participant's last cursor, the console.

The files' text comes from the points' text index (text_index.py) when it can tell, else from
the document decoded; either way the browser gets the point and the updates after it, to apply
in order (it never needs the server to decode or encode a document).

"At ``t``" means every event with ``ts_ms <= t``. Ids order the log, times nearly do: events that
different nodes stamped are out of time order by at most their commit delay and the nodes'
clock skew, assumed under ``SKEW_MS``. So the events of a moment are looked for between two seek
points: the last one at ``t`` (or before ``t`` minus a window) and the first one past
``t + SKEW_MS``, which bounds every read by the spacing of the points, not the session's length.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import anyio
from pycrdt import Doc

from server.playback.document import apply
from server.playback.model import (
    Console,
    ConsoleOutput,
    ConsoleRun,
    ConsoleTerminal,
    Cursor,
    FileState,
    PlaybackState,
)
from server.playback.store import PlaybackStore
from server.playback.text_index import PointText, UpdateEdits, decode_edits, decode_text, replay, text_of
from server.playback.timeline import json_of
from server.recording.events import Event, EventKind
from server.recording.playback import SeekPoint

SKEW_MS = 10_000
#: y-protocols forgets a client whose awareness was not renewed for 30 s; so does playback.
AWARENESS_MS = 30_000
PAGE = 5_000
MAX_CURSOR_EVENTS = 5_000
MAX_RUN_EVENTS = 2_000
MAX_CONSOLE_CHARS = 64 * 1024
MAX_TERMINAL_EVENTS = 1_000
TERMINAL_KINDS = ("terminal.opened", "terminal.output", "terminal.closed")


def _decoded(session_id: str, point: SeekPoint | None, tail: list[Event]) -> PointText:
    """The text at the moment by the document itself: the point decoded, the updates after it
    applied. Most of a state's CPU when it is needed (pycrdt holds the GIL while it decodes: a
    worker thread bounds how many run at once but does not free the event loop)."""
    doc: Doc[Any] = Doc()
    if point is not None:
        doc.apply_update(point.state)
    with doc.transaction():
        for event in tail:
            apply(doc, event.data, session_id=session_id, event_id=event.id)
    return text_of(doc)


def _indexed(point: SeekPoint | None, edits: Sequence[bytes | None], tail: list[Event]) -> PointText | None:
    """The text at the moment from the points' text index, if it can tell (text_index.py)."""
    if point is not None and point.text is None:
        return None
    base = decode_text(point.text) if point is not None and point.text is not None else PointText({}, {})
    known: list[UpdateEdits] = []
    for blob in edits:
        if blob is None:
            break
        known += decode_edits(blob)
    return replay(base, known, [event.id for event in tail])


async def _tail(store: PlaybackStore, session_id: str, after: int, t: int, upper: int | None) -> list[Event]:
    tail: list[Event] = []
    while True:
        page = await store.window(
            session_id, kinds=[EventKind.DOC_UPDATE], after_id=after, upto_id=upper, ts_to=t, limit=PAGE
        )
        tail += page
        if len(page) < PAGE:
            return tail
        after = page[-1].id


async def _gather(*calls: Callable[[], Awaitable[Any]]) -> list[Any]:
    """Independent reads at once (each on its own connection on PostgreSQL)."""
    results: list[Any] = [None] * len(calls)

    async def run(index: int) -> None:
        results[index] = await calls[index]()

    try:
        async with anyio.create_task_group() as tg:
            for index in range(len(calls)):
                tg.start_soon(run, index)
    except ExceptionGroup as group:  # the first failure, as the caller would have seen it alone
        raise group.exceptions[0] from None
    return results


async def state_at(
    store: PlaybackStore, session_id: str, t: int, *, limiter: anyio.CapacityLimiter | None = None
) -> PlaybackState:
    """``limiter``: how many documents may be built at once (each holds a core and the
    document's memory while it lasts); anyio's default thread limiter if None."""
    point, upper, lower = await _gather(
        lambda: store.point_at(session_id, t),
        lambda: store.id_after(session_id, t + SKEW_MS),
        lambda: store.id_at(session_id, t - AWARENESS_MS - SKEW_MS),
    )
    after = point.upto_id if point is not None else 0
    tail, edits, cursors, run, terminal = await _gather(
        lambda: _tail(store, session_id, after, t, upper),
        lambda: store.edits_after(session_id, after, upper),
        lambda: cursors_at(store, session_id, t, upper, lower),
        lambda: run_at(store, session_id, t, upper),
        lambda: terminal_at(store, session_id, t, upper),
    )
    text = _indexed(point, edits, tail)
    if text is None:
        text = await anyio.to_thread.run_sync(_decoded, session_id, point, tail, limiter=limiter)
    updates = ([point.state] if point is not None else []) + [event.data for event in tail]
    return PlaybackState(
        t=t,
        files=[
            FileState(path=path, text=text.files[path], language=text.meta.get(f"lang:{path}"))
            for path in sorted(text.files)
        ],
        main=text.meta.get("main"),
        active=text.meta.get("active"),
        updates=[base64.b64encode(update).decode() for update in updates],
        cursors=cursors,
        console=Console(run=run, terminal=terminal),
    )


async def cursors_at(
    store: PlaybackStore, session_id: str, t: int, upper: int | None, lower: int
) -> list[Cursor]:
    """``lower``: the last point at ``t - AWARENESS_MS - SKEW_MS`` (0: none)."""
    since = t - AWARENESS_MS
    events = await store.window(
        session_id,
        kinds=[EventKind.AWARENESS, EventKind.LEAVE],
        after_id=lower,
        upto_id=upper,
        ts_from=since,
        ts_to=t,
        limit=MAX_CURSOR_EVENTS,
        newest_first=True,
    )
    cursors: dict[int, Cursor] = {}
    for event in reversed(events):
        data = json_of(event)
        if event.kind == EventKind.LEAVE:
            for gone in [c for c, cursor in cursors.items() if cursor.participant == event.author]:
                del cursors[gone]
            continue
        client, state = data.get("client"), data.get("state")
        if not isinstance(client, int) or isinstance(client, bool):
            continue
        if isinstance(state, dict):
            cursors[client] = Cursor(participant=event.author, client=client, state=state)
        else:  # null: the client went away
            cursors.pop(client, None)
    return list(cursors.values())


async def run_at(store: PlaybackStore, session_id: str, t: int, upper: int | None) -> ConsoleRun | None:
    started = await store.window(
        session_id, kinds=["run.started"], after_id=0, upto_id=upper, ts_to=t, limit=1, newest_first=True
    )
    if not started:
        return None
    start = started[0]
    info = json_of(start)
    run_id = info.get("run_id")
    events = await store.window(
        session_id,
        kinds=["run.output", "run.finished"],
        after_id=start.id,
        upto_id=upper,
        ts_to=t,
        limit=MAX_RUN_EVENTS + 1,
    )
    output: list[ConsoleOutput] = []
    finished: dict[str, Any] | None = None
    size = 0
    truncated = len(events) > MAX_RUN_EVENTS
    for event in events[:MAX_RUN_EVENTS]:
        data = json_of(event)
        if data.get("run_id") != run_id:
            continue
        if event.kind == "run.finished":
            finished = data
            continue
        text = data.get("data")
        if isinstance(text, str) and size < MAX_CONSOLE_CHARS:
            text = text[: MAX_CONSOLE_CHARS - size]
            size += len(text)
            output.append(ConsoleOutput(ts=event.ts_ms, stream=str(data.get("stream", "stdout")), data=text))
        elif isinstance(text, str):
            truncated = True

    def field(name: str) -> str:
        value = info.get(name)
        return value if isinstance(value, str) else ""

    return ConsoleRun(
        run_id=field("run_id"),
        ts=start.ts_ms,
        by=field("by"),
        mode=field("mode"),
        file=field("file"),
        language=field("language"),
        output=output,
        finished=finished,
        truncated=truncated,
    )


async def terminal_at(
    store: PlaybackStore, session_id: str, t: int, upper: int | None
) -> ConsoleTerminal | None:
    newest = await store.window(
        session_id,
        kinds=TERMINAL_KINDS,
        after_id=0,
        upto_id=upper,
        ts_to=t,
        limit=MAX_TERMINAL_EVENTS,
        newest_first=True,
    )
    if not newest:
        return None
    is_open = newest[0].kind != "terminal.closed"
    chunks: list[str] = []
    size = 0
    complete = False
    for event in newest:
        if event.kind == "terminal.opened":
            complete = True
            break
        if event.kind == "terminal.output":
            text = json_of(event).get("data")
            if isinstance(text, str):
                chunks.append(text)
                size += len(text)
                if size >= MAX_CONSOLE_CHARS:
                    break
    text = "".join(reversed(chunks))
    truncated = not complete or len(text) > MAX_CONSOLE_CHARS
    return ConsoleTerminal(open=is_open, text=text[-MAX_CONSOLE_CHARS:], truncated=truncated)


def event_json(event: Event) -> Any:
    """What the events query shows of an event's data."""
    if event.kind == EventKind.DOC_UPDATE:
        return base64.b64encode(event.data).decode()
    try:
        return json.loads(event.data)
    except ValueError:
        return base64.b64encode(event.data).decode()
