"""The archive format (version 1), written and read.

One zip (deflated) holding:

- ``manifest.json``: ``{"format": "duet.session-archive", "version": 1, "exported_at",
  "session": {id, title, language, created_at, started_at, ended_at},
  "participants": [{id, role, display_name, joined_at}], "events": {"file", "count"},
  "seek_snapshots": {"file", "count"}, "media": []}``. No tokens, no digests, no emails.
- ``events.jsonl``: one event a line, in log order: ``{"ts_ms", "kind", "author"}`` plus the
  payload: ``"update"`` (base64 Yjs v1 update) for ``doc.update``, ``"text"`` (the stored UTF-8
  JSON) for every other kind, or ``"bytes"`` (base64) for a payload that is not UTF-8.
- ``seek_snapshots.jsonl``: ``{"upto_index", "ts_ms", "state"}``: the document (base64 Yjs
  update) after the event on line ``upto_index`` (0-based) of ``events.jsonl``.
- ``media/NAME.webm``: the recorded audio and video, one file per participant and track (stored,
  not deflated: WebM is compressed), named by the ``media.segment`` events; the manifest's
  ``"media"`` lists them (``{"file", "bytes"}``). Any other entry is refused.

Reading assumes the archive is hostile: entry count, names, each entry's size as it inflates
(never the size its header claims), JSON shapes, base64 and every Yjs update are checked, and
any failure is an ``InvalidInput`` (422) before anything is stored.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from server.archives import limits
from server.archives.model import (
    ArchivedEvent,
    ArchivedParticipant,
    ArchivedSeekPoint,
    ArchivedSession,
    Recording,
)
from server.errors import InvalidInput, PayloadTooLarge

FORMAT = "duet.session-archive"
VERSION = 1
MANIFEST = "manifest.json"
EVENTS = "events.jsonl"
SEEK_SNAPSHOTS = "seek_snapshots.jsonl"
KNOWN_ENTRIES = frozenset({MANIFEST, EVENTS, SEEK_SNAPSHOTS})
MEDIA_PREFIX = "media/"
#: A recorded file's name (server.media.recorder): participant, stream, kind, start.
MEDIA_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}-(camera|screen)-(audio|video)-[0-9]{1,16}\.webm$")
DOC_UPDATE = "doc.update"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _event_line(event: ArchivedEvent) -> dict[str, Any]:
    line: dict[str, Any] = {"ts_ms": event.ts_ms, "kind": event.kind, "author": event.author}
    if event.kind == DOC_UPDATE:
        line["update"] = _b64(event.data)
        return line
    try:
        line["text"] = event.data.decode("utf-8")
    except UnicodeDecodeError:
        line["bytes"] = _b64(event.data)
    return line


def _jsonl(lines: Iterator[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(line, separators=(",", ":")).encode() + b"\n" for line in lines)


def write_archive(recording: Recording, exported_at: datetime) -> bytes:
    session = recording.session
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": exported_at.isoformat(),
        "session": {
            "id": session.id,
            "title": session.title,
            "language": session.language,
            "created_at": _iso(session.created_at),
            "started_at": _iso(session.started_at),
            "ended_at": _iso(session.ended_at),
        },
        "participants": [
            {"id": p.id, "role": p.role, "display_name": p.display_name, "joined_at": _iso(p.joined_at)}
            for p in recording.participants
        ],
        "events": {"file": EVENTS, "count": len(recording.events)},
        "seek_snapshots": {"file": SEEK_SNAPSHOTS, "count": len(recording.seek_points)},
        "media": [
            {"file": MEDIA_PREFIX + name, "bytes": len(data)}
            for name, data in sorted(recording.media.items())
        ],
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
        archive.writestr(EVENTS, _jsonl(_event_line(e) for e in recording.events))
        archive.writestr(
            SEEK_SNAPSHOTS,
            _jsonl(
                {"upto_index": p.upto_index, "ts_ms": p.ts_ms, "state": _b64(p.state)}
                for p in recording.seek_points
            ),
        )
        for name, data in sorted(recording.media.items()):
            archive.writestr(MEDIA_PREFIX + name, data, compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


# ---- reading -------------------------------------------------------------------------------------


def _bad(message: str, **details: Any) -> InvalidInput:
    return InvalidInput(f"the archive is invalid: {message}", details=details)


def _read_entries(data: bytes) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _bad("not a zip file") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.MAX_ENTRIES:
            raise _bad(f"more than {limits.MAX_ENTRIES} entries", entries=len(infos))
        entries: dict[str, bytes] = {}
        budget = limits.MAX_UNCOMPRESSED_BYTES
        for info in infos:
            name = info.filename
            media = name.startswith(MEDIA_PREFIX) and MEDIA_NAME.match(name[len(MEDIA_PREFIX) :]) is not None
            if (name not in KNOWN_ENTRIES and not media) or name in entries:
                raise _bad(f"unexpected entry {name[:200]!r}", entry=name[:200])
            cap = min(budget, limits.MAX_MANIFEST_BYTES) if name == MANIFEST else budget
            try:
                with archive.open(info) as stream:
                    content = stream.read(cap + 1)  # the header's sizes are not trusted
            except (
                zipfile.BadZipFile,
                NotImplementedError,
                RuntimeError,
                ValueError,
                OSError,
                EOFError,
            ) as exc:
                raise _bad(f"entry {name!r} cannot be read", entry=name) from exc
            if len(content) > cap:
                raise PayloadTooLarge(
                    "the archive inflates beyond its limits", details={"entry": name, "limit": cap}
                )
            budget -= len(content)
            entries[name] = content
    if MANIFEST not in entries or EVENTS not in entries:
        raise _bad("manifest.json and events.jsonl are required")
    return entries


def _json(content: bytes, where: str) -> Any:
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise _bad(f"{where} is not JSON", entry=where) from exc


def _field(obj: Any, key: str, kind: type | tuple[type, ...], where: str, *, optional: bool = False) -> Any:
    if not isinstance(obj, dict):
        raise _bad(f"{where} is not an object", entry=where)
    value = obj.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise _bad(f"{where}.{key} is missing or of the wrong type", entry=where, field=key)
    return value


def _text(obj: Any, key: str, where: str, max_length: int) -> str:
    value: str = _field(obj, key, str, where)
    if len(value) > max_length:
        raise _bad(f"{where}.{key} is longer than {max_length}", entry=where, field=key)
    return value


def _time(obj: Any, key: str, where: str, *, optional: bool = False) -> datetime | None:
    raw = _field(obj, key, str, where, optional=optional)
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw[:64])
    except ValueError as exc:
        raise _bad(f"{where}.{key} is not a date", entry=where, field=key) from exc
    if parsed.tzinfo is None:
        raise _bad(f"{where}.{key} has no time zone", entry=where, field=key)
    return parsed


def _base64(value: str, where: str, limit: int) -> bytes:
    if len(value) > limit * 4 // 3 + 4:
        raise _bad(f"{where} is too large", entry=where)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _bad(f"{where} is not base64", entry=where) from exc


def _lines(content: bytes, where: str, maximum: int) -> Iterator[tuple[int, Any]]:
    lines = content.splitlines()
    if len(lines) > maximum:
        raise _bad(f"{where} has more than {maximum} lines", entry=where)
    for number, line in enumerate(lines):
        yield number, _json(line, f"{where}:{number + 1}")


def _manifest(content: bytes) -> tuple[ArchivedSession, list[ArchivedParticipant], int, int]:
    manifest = _json(content, MANIFEST)
    if _field(manifest, "format", str, MANIFEST) != FORMAT:
        raise _bad("this is not a Duet session archive")
    if _field(manifest, "version", int, MANIFEST) != VERSION:
        raise _bad(f"archive version {manifest['version']} is not supported (this Duet reads {VERSION})")
    raw = _field(manifest, "session", dict, MANIFEST)
    created_at = _time(raw, "created_at", "session")
    assert created_at is not None  # not optional
    session = ArchivedSession(
        id=_text(raw, "id", "session", 64),
        title=_text(raw, "title", "session", 200),
        language=_text(raw, "language", "session", 32),
        created_at=created_at,
        started_at=_time(raw, "started_at", "session", optional=True),
        ended_at=_time(raw, "ended_at", "session", optional=True),
    )
    people = _field(manifest, "participants", list, MANIFEST)
    if len(people) > limits.MAX_PARTICIPANTS:
        raise _bad(f"more than {limits.MAX_PARTICIPANTS} participants")
    participants = []
    for person in people:
        joined_at = _time(person, "joined_at", "participants")
        assert joined_at is not None
        participants.append(
            ArchivedParticipant(
                id=_text(person, "id", "participants", 64),
                role=_text(person, "role", "participants", 16),
                display_name=_text(person, "display_name", "participants", 64),
                joined_at=joined_at,
            )
        )
    if len({p.id for p in participants}) != len(participants):
        raise _bad("two participants share an id")
    events = _field(_field(manifest, "events", dict, MANIFEST), "count", int, "events")
    seek = _field(manifest, "seek_snapshots", dict, MANIFEST, optional=True)
    seek_count = _field(seek, "count", int, "seek_snapshots") if seek is not None else 0
    return session, participants, events, seek_count


def _event(line: Any, where: str, authors: set[str]) -> ArchivedEvent:
    ts_ms: int = _field(line, "ts_ms", int, where)
    kind = _text(line, "kind", where, 32)
    author = _field(line, "author", str, where, optional=True)
    if author is not None and author not in authors:
        raise _bad(f"{where} names an author who is not a participant", entry=where)
    if not 0 <= ts_ms < 2**53:
        raise _bad(f"{where}.ts_ms is out of range", entry=where)
    payloads = [key for key in ("update", "text", "bytes") if key in line]
    if len(payloads) != 1 or (kind == DOC_UPDATE) != (payloads[0] == "update"):
        raise _bad(
            f"{where} needs exactly one payload: update for doc.update, text or bytes else", entry=where
        )
    key = payloads[0]
    if key == "text":
        text = _text(line, "text", where, limits.MAX_EVENT_BYTES)
        _json(text.encode(), where)
        data = text.encode()
    else:
        data = _base64(_field(line, key, str, where), where, limits.MAX_EVENT_BYTES)
    return ArchivedEvent(ts_ms=ts_ms, kind=kind, author=author, data=data)


def read_archive(data: bytes) -> Recording:
    """The recording an archive holds, checked (Yjs payloads are checked by the importer, which
    applies them); InvalidInput or PayloadTooLarge if anything is off."""
    entries = _read_entries(data)
    session, participants, event_count, seek_count = _manifest(entries[MANIFEST])
    authors = {p.id for p in participants}
    events = [
        _event(line, f"{EVENTS}:{n + 1}", authors)
        for n, line in _lines(entries[EVENTS], EVENTS, limits.MAX_EVENTS)
    ]
    if len(events) != event_count:
        raise _bad("events.jsonl does not hold the events the manifest counts", entry=EVENTS)
    if any(later.ts_ms < earlier.ts_ms for earlier, later in zip(events, events[1:], strict=False)):
        raise _bad("events are not in time order", entry=EVENTS)
    seek_points = []
    for n, line in _lines(entries.get(SEEK_SNAPSHOTS, b""), SEEK_SNAPSHOTS, limits.MAX_SEEK_SNAPSHOTS):
        where = f"{SEEK_SNAPSHOTS}:{n + 1}"
        index: int = _field(line, "upto_index", int, where)
        if not 0 <= index < len(events):
            raise _bad(f"{where} points past the events", entry=where)
        state = _base64(_field(line, "state", str, where), where, limits.MAX_UNCOMPRESSED_BYTES)
        seek_points.append(ArchivedSeekPoint(index, _field(line, "ts_ms", int, where), state))
    if len(seek_points) != seek_count:
        raise _bad("seek_snapshots.jsonl does not hold what the manifest counts", entry=SEEK_SNAPSHOTS)
    media = {
        name[len(MEDIA_PREFIX) :]: content
        for name, content in entries.items()
        if name.startswith(MEDIA_PREFIX)
    }
    return Recording(session, participants, events, seek_points, media)
