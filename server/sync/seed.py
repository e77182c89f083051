"""The first state of a session's document: its main file, empty, in the session's language.

Built with a fixed client id so that two nodes seeding the same new session at once produce the
very same update (identical items merge). The seed is also stored as the session's first event, so
a later change to this code never re-seeds an existing document differently.
"""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Map, Text

from server.sessions.languages import MAIN_FILES

#: Reserved Yjs client id for server-made seed content (browsers draw 32-bit random ids).
SEED_CLIENT_ID = 1

FILES = "files"
META = "meta"


def language_key(path: str) -> str:
    """The ``meta`` key holding a file's language id."""
    return f"lang:{path}"


def seed_update(language: str) -> bytes:
    main = MAIN_FILES.get(language, "main.txt")
    doc: Doc[Any] = Doc(client_id=SEED_CLIENT_ID)
    files = doc.get(FILES, type=Map)
    meta = doc.get(META, type=Map)
    with doc.transaction():
        files[main] = Text("")
        meta["main"] = main
        meta["active"] = main
        meta[language_key(main)] = language
    return doc.get_update()
