"""The events of a stretch of session time, a page at a time (ids order them; ``after`` pages)."""

from __future__ import annotations

from server.playback.model import EventPage, PlaybackEvent
from server.playback.state import SKEW_MS, event_json
from server.playback.store import PlaybackStore

MAX_PAGE = 1_000
#: A page stops early once its events' data holds this many bytes.
MAX_PAGE_BYTES = 4 * 1024 * 1024


async def events_between(
    store: PlaybackStore, session_id: str, *, ts_from: int, ts_to: int, after: int, limit: int
) -> EventPage:
    limit = max(1, min(limit, MAX_PAGE))
    lower = max(after, await store.id_at(session_id, ts_from - SKEW_MS))
    upper = await store.id_after(session_id, ts_to + SKEW_MS)
    events = await store.window(
        session_id, kinds=None, after_id=lower, upto_id=upper, ts_from=ts_from, ts_to=ts_to, limit=limit + 1
    )
    more = len(events) > limit
    page: list[PlaybackEvent] = []
    size = 0
    for event in events[:limit]:
        if page and size + len(event.data) > MAX_PAGE_BYTES:
            more = True
            break
        size += len(event.data)
        page.append(
            PlaybackEvent(
                id=event.id, ts=event.ts_ms, kind=event.kind, author=event.author, data=event_json(event)
            )
        )
    return EventPage(events=page, next_after=page[-1].id if more and page else None)
