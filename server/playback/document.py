"""Reading a session's document (pycrdt): its files, their languages, ``main`` and ``active``.

The shapes are the pad's (docs/pad.md): Y.Map ``files`` (path -> Y.Text) and Y.Map ``meta``
(``lang:<path>``, ``main``, ``active``).
"""

from __future__ import annotations

import logging
from typing import Any

from pycrdt import Doc, Map

from server.playback.model import FileState

logger = logging.getLogger(__name__)

FILES = "files"
META = "meta"


def apply(doc: Doc[Any], update: bytes, *, session_id: str, event_id: int) -> None:
    """Apply a recorded update; one that does not decode is skipped, with a warning (the log is
    read, never trusted: a replay goes on without it, as a room's load would fail on it)."""
    try:
        doc.apply_update(update)
    except ValueError as exc:
        logger.warning(
            "skipping an undecodable doc.update %d: %s", event_id, exc, extra={"session_id": session_id}
        )


def files_of(doc: Doc[Any]) -> list[FileState]:
    files = doc.get(FILES, type=Map)
    meta = doc.get(META, type=Map)
    out = []
    for path in sorted(files.keys()):
        language = meta.get(f"lang:{path}")
        out.append(
            FileState(
                path=path, text=str(files[path]), language=language if isinstance(language, str) else None
            )
        )
    return out


def meta_value(doc: Doc[Any], key: str) -> str | None:
    value = doc.get(META, type=Map).get(key)
    return value if isinstance(value, str) else None
