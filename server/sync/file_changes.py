"""What an update did to the session's files, as facts for the recording: a file created,
deleted or renamed, a language changed.

The document's shapes are the pad's (docs/pad.md): Y.Map ``files`` (path -> Y.Text) and Y.Map
``meta`` (``lang:<path>``, ...). Observers on those two maps fire only when one of their keys
changes, never on typing (text lives in the nested Y.Texts), so watching costs the live path
nothing per keystroke. The pad renames a file in one transaction (the text copied under the new
name, the old one deleted): one path added and one deleted by the same update is a rename.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, Map

from server.recording.events import EventKind

FILES = "files"
META = "meta"
LANGUAGE_PREFIX = "lang:"
#: Longer names or languages are cut in the recording (the document itself is capped by size).
MAX_NAME = 512


@dataclass(frozen=True, slots=True)
class FileChange:
    kind: EventKind
    data: dict[str, str | None]

    def encoded(self) -> bytes:
        return json.dumps(self.data, separators=(",", ":"), ensure_ascii=False).encode()


class FileWatch:
    """Collects the file-level changes of the updates applied to ``doc`` until ``take``."""

    def __init__(self, doc: Doc[Any]) -> None:
        self._files: dict[str, str] = {}  # path -> "add" | "delete" | "update"
        self._languages: dict[str, str | None] = {}  # path -> its new language
        # the maps and their subscriptions are kept: pycrdt drops an observer whose map is gone
        self._maps: tuple[Map[Any], Map[Any]] = (doc.get(FILES, type=Map), doc.get(META, type=Map))
        self._subscriptions = (self._maps[0].observe(self._on_files), self._maps[1].observe(self._on_meta))

    def _on_files(self, event: Any) -> None:
        for path, change in event.keys.items():
            self._files[str(path)] = str(change.get("action"))

    def _on_meta(self, event: Any) -> None:
        for key, change in event.keys.items():
            key = str(key)
            if key.startswith(LANGUAGE_PREFIX) and change.get("action") in ("add", "update"):
                value = change.get("newValue")
                self._languages[key[len(LANGUAGE_PREFIX) :]] = value if isinstance(value, str) else None

    def clear(self) -> None:
        self._files.clear()
        self._languages.clear()

    def take(self) -> list[FileChange]:
        """The changes collected since the last ``take`` or ``clear``, and forget them."""
        created = [path for path, action in self._files.items() if action == "add"]
        deleted = [path for path, action in self._files.items() if action == "delete"]
        languages = dict(self._languages)
        self.clear()
        changes: list[FileChange] = []
        if len(created) == 1 and len(deleted) == 1:
            changes.append(
                FileChange(EventKind.FILE_RENAMED, {"from": _cut(deleted[0]), "to": _cut(created[0])})
            )
            languages.pop(created[0], None)  # the rename carries the language over
        else:
            changes += [
                FileChange(
                    EventKind.FILE_CREATED, {"path": _cut(path), "language": _cut(languages.pop(path, None))}
                )
                for path in created
            ]
            changes += [FileChange(EventKind.FILE_DELETED, {"path": _cut(path)}) for path in deleted]
        changes += [
            FileChange(EventKind.FILE_LANGUAGE, {"path": _cut(path), "language": _cut(language)})
            for path, language in languages.items()
        ]
        return changes


def _cut(value: str | None) -> str | None:
    return None if value is None else value[:MAX_NAME]
