"""A session's document (pycrdt) as playback reads it.

The shapes are the pad's (docs/pad.md): Y.Map ``files`` (path -> Y.Text) and Y.Map ``meta``
(``lang:<path>``, ``main``, ``active``).
"""

from __future__ import annotations

import logging
from typing import Any

from pycrdt import Doc

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
