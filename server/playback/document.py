"""Reading a session's document (pycrdt): its files, their languages, ``main`` and ``active``.

The shapes are the pad's (docs/pad.md): Y.Map ``files`` (path -> Y.Text) and Y.Map ``meta``
(``lang:<path>``, ``main``, ``active``).
"""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Map

from server.playback.model import FileState

FILES = "files"
META = "meta"


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
