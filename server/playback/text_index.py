"""The files as plain text beside each seek point, so the state at a moment needs no CRDT.

Decoding a seek point is most of what a state costs (pycrdt: about 20 ms for the half-megabyte
document of a two-hour session, most of it the tombstones of deleted text), yet a state shows only
text. So when the index builds a point it also keeps:

- the files' text and the ``meta`` strings at the point (``PointText``), and
- the *edits* of every update since the previous point, as the document reported them while they
  were applied one by one, in id order: text deltas, files set or removed, meta keys set.

The state at ``t`` is then a point's text plus the edits of the updates after it, applied as string
operations. That is only right for a *prefix* of those updates in id order (an edit's offsets
hold after every earlier update and no later one), so ``replay`` answers ``None`` when the updates
of the moment are not one (events of different nodes out of time order), when an edit could not
be described (``None`` in the list) or when the edits stop short; the caller decodes the document
then.

Offsets are those of pycrdt's deltas: UTF-8 bytes (tested in tests/playback/test_text_index.py,
so that a pycrdt that changes it fails there).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, Map, Subscription, Text

from server.playback.document import FILES, META

#: One edit: ``["t", path, delta]`` a text's delta (``retain``/``insert``/``delete``),
#: ``["f", path, text]`` a file set to a text, ``["x", path]`` a file removed,
#: ``["m", key, value]`` a meta key set (``None``: removed or not a string).
Edit = list[Any]


@dataclass(frozen=True, slots=True)
class UpdateEdits:
    """What one ``doc.update`` event did to the text: ``None`` when it could not be described."""

    event_id: int
    edits: list[Edit] | None


@dataclass(frozen=True, slots=True)
class PointText:
    files: dict[str, str]
    meta: dict[str, str]


def text_of(doc: Doc[Any]) -> PointText:
    files = doc.get(FILES, type=Map)
    meta = doc.get(META, type=Map)
    return PointText(
        files={path: str(files[path]) for path in files},
        meta={key: value for key, value in meta.items() if isinstance(value, str)},
    )


def encode_text(text: PointText) -> bytes:
    return json.dumps({"files": text.files, "meta": text.meta}, separators=(",", ":")).encode()


def decode_text(data: bytes) -> PointText:
    value = json.loads(data)
    return PointText(files=dict(value["files"]), meta=dict(value["meta"]))


def encode_edits(edits: Sequence[UpdateEdits]) -> bytes:
    return json.dumps([[e.event_id, e.edits] for e in edits], separators=(",", ":")).encode()


def decode_edits(data: bytes) -> list[UpdateEdits]:
    return [UpdateEdits(int(event_id), edits) for event_id, edits in json.loads(data)]


class EditRecorder:
    """Watches a document while updates are applied, each in its own transaction; ``take`` gives
    what was applied since the last call (the observers run as each transaction ends).

    Shallow observers, one per file's text and one on each map: pycrdt's deep observer costs
    about 90 us an update even when it does nothing, several times the update itself."""

    def __init__(self, doc: Doc[Any]) -> None:
        self._edits: list[Edit] | None = []
        self._files = doc.get(FILES, type=Map)
        self._meta = doc.get(META, type=Map)
        self._texts: dict[str, tuple[Text, Subscription]] = {}
        self._subscriptions = (self._files.observe(self._on_files), self._meta.observe(self._on_meta))
        for path in self._files:
            self._watch(path, self._files[path])

    def take(self) -> list[Edit] | None:
        edits, self._edits = self._edits, []
        return edits

    def _add(self, edit: Edit | None) -> None:
        if self._edits is None:
            return
        if edit is None:
            self._edits = None
        else:
            self._edits.append(edit)

    def _watch(self, path: str, value: object) -> None:
        """Follow the text now at ``path`` and stop following the one before (nothing to follow
        when the value is not a text)."""
        old = self._texts.pop(path, None)
        if old is not None:
            old[0].unobserve(old[1])
        if isinstance(value, Text):
            self._texts[path] = (value, value.observe(lambda event: self._on_text(path, value, event)))

    def _on_text(self, path: str, text: Text, event: Any) -> None:
        current = self._texts.get(path)
        if current is None or current[0] is not text:  # replaced or removed meanwhile
            return
        delta = event.delta
        if all("insert" not in d or isinstance(d["insert"], str) for d in delta):
            self._add(["t", path, [_plain(d) for d in delta]])
        else:  # an embedded value: not the pad's shape
            self._add(None)

    def _on_files(self, event: Any) -> None:
        for path, change in event.keys.items():
            if change["action"] == "delete":
                self._watch(path, None)
                self._add(["x", path])
                continue
            value = change["newValue"]
            self._watch(path, value)
            self._add(["f", path, str(value)] if isinstance(value, Text) else None)

    def _on_meta(self, event: Any) -> None:
        for key, change in event.keys.items():
            value = change.get("newValue") if change["action"] != "delete" else None
            self._add(["m", key, value if isinstance(value, str) else None])


def _plain(delta: dict[str, Any]) -> dict[str, Any]:
    """A delta entry without formatting attributes (the pad's texts have none)."""
    return {key: value for key, value in delta.items() if key in ("retain", "insert", "delete")}


def replay(text: PointText, edits: Sequence[UpdateEdits], tail_ids: Sequence[int]) -> PointText | None:
    """The text after the updates ``tail_ids`` (in id order) following the point, or ``None``
    when ``edits`` cannot tell it (see the module's docstring)."""
    if len(tail_ids) > len(edits):
        return None
    files = {path: bytearray(value.encode()) for path, value in text.files.items()}
    meta = dict(text.meta)
    for event_id, update in zip(tail_ids, edits, strict=False):
        if update.event_id != event_id or update.edits is None:
            return None
        for edit in update.edits:
            _apply(files, meta, edit)
    return PointText(
        files={path: bytes(value).decode(errors="replace") for path, value in files.items()}, meta=meta
    )


def _apply(files: dict[str, bytearray], meta: dict[str, str], edit: Edit) -> None:
    kind = edit[0]
    if kind == "t":
        buffer = files.get(edit[1])
        if buffer is None:
            return
        at = 0
        for delta in edit[2]:
            if "retain" in delta:
                at += int(delta["retain"])
            elif "insert" in delta:
                inserted = str(delta["insert"]).encode()
                buffer[at:at] = inserted
                at += len(inserted)
            elif "delete" in delta:
                del buffer[at : at + int(delta["delete"])]
    elif kind == "f":
        files[edit[1]] = bytearray(str(edit[2]).encode())
    elif kind == "x":
        files.pop(edit[1], None)
    elif kind == "m":
        if isinstance(edit[2], str):
            meta[edit[1]] = edit[2]
        else:
            meta.pop(edit[1], None)
