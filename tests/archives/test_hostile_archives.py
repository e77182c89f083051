"""Archives built to hurt: each is refused with a 4xx problem and nothing is stored."""

from __future__ import annotations

import base64
import io
import json
import os
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from pycrdt import Doc, Map, Text
from sqlalchemy import func, select

from server.accounts.models import OrgRole
from server.store.audit_tables import AuditRecordRow
from server.store.recording_tables import SessionEventRow
from server.store.tables import ParticipantRow, SessionRow
from tests.support.app_harness import AppHarness
from tests.support.problems import assert_problem

pytestmark = pytest.mark.anyio

Entries = dict[str, bytes]


def _update() -> bytes:
    doc: Any = Doc()
    files: Map[Any] = Map()
    doc["files"] = files
    files["main.py"] = Text("print(1)\n")
    return bytes(doc.get_update())


def _valid() -> Entries:
    manifest = {
        "format": "duet.session-archive",
        "version": 1,
        "session": {
            "id": "abc",
            "title": "t",
            "language": "python",
            "created_at": datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
            "started_at": None,
            "ended_at": None,
        },
        "participants": [
            {
                "id": "p1",
                "role": "candidate",
                "display_name": "Cara",
                "joined_at": "2026-01-01T00:00:00+00:00",
            }
        ],
        "events": {"file": "events.jsonl", "count": 2},
        "seek_snapshots": {"file": "seek_snapshots.jsonl", "count": 0},
        "media": [],
    }
    events = [
        {"ts_ms": 1, "kind": "doc.update", "author": "p1", "update": base64.b64encode(_update()).decode()},
        {"ts_ms": 2, "kind": "chat", "author": "p1", "text": '{"text":"hi"}'},
    ]
    return {
        "manifest.json": json.dumps(manifest).encode(),
        "events.jsonl": b"\n".join(json.dumps(e).encode() for e in events) + b"\n",
        "seek_snapshots.jsonl": b"",
    }


def _zip(entries: Entries) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, content in entries.items():
            z.writestr(name, content)
    return out.getvalue()


def _with_manifest(change: Callable[[dict[str, Any]], None]) -> bytes:
    entries = _valid()
    manifest = json.loads(entries["manifest.json"])
    change(manifest)
    return _zip({**entries, "manifest.json": json.dumps(manifest).encode()})


def _with_event(change: Callable[[dict[str, Any]], None], index: int = 0) -> bytes:
    entries = _valid()
    lines = [json.loads(line) for line in entries["events.jsonl"].splitlines()]
    change(lines[index])
    return _zip({**entries, "events.jsonl": b"\n".join(json.dumps(e).encode() for e in lines)})


HOSTILE: dict[str, tuple[Callable[[], bytes], int]] = {
    "not a zip": (lambda: b"PK\x03\x04 certainly not a zip", 422),
    "empty body": (lambda: b"", 422),
    "too many entries": (lambda: _zip({**_valid(), **{f"media/{i}": b"" for i in range(9)}}), 422),
    "path traversal": (lambda: _zip({**_valid(), "../../etc/passwd": b"x"}), 422),
    "absolute path": (lambda: _zip({**_valid(), "/tmp/x": b"x"}), 422),
    "media not yet": (lambda: _zip({**_valid(), "media/a.webm": b"x"}), 422),
    "zip bomb": (lambda: _zip({**_valid(), "events.jsonl": b"\n" * (65 * 1024 * 1024)}), 413),
    "manifest bomb": (lambda: _zip({**_valid(), "manifest.json": b" " * (300 * 1024)}), 413),
    "manifest not JSON": (lambda: _zip({**_valid(), "manifest.json": b"{nope"}), 422),
    "wrong format": (lambda: _with_manifest(lambda m: m.update(format="other")), 422),
    "future version": (lambda: _with_manifest(lambda m: m.update(version=2)), 422),
    "unknown language": (lambda: _with_manifest(lambda m: m["session"].update(language="cobol")), 422),
    "naive date": (
        lambda: _with_manifest(lambda m: m["session"].update(created_at="2026-01-01T00:00:00")),
        422,
    ),
    "unknown role": (lambda: _with_manifest(lambda m: m["participants"][0].update(role="admin")), 422),
    "count mismatch": (lambda: _with_manifest(lambda m: m["events"].update(count=3)), 422),
    "event not JSON": (lambda: _zip({**_valid(), "events.jsonl": b"{]\n"}), 422),
    "bad base64": (lambda: _with_event(lambda e: e.update(update="!!!not base64!!!")), 422),
    "not a Yjs update": (
        lambda: _with_event(lambda e: e.update(update=base64.b64encode(b"\xff\xff\xff\xff\x0f").decode())),
        422,
    ),
    "Yjs update claiming 2^28 clients": (
        lambda: _with_event(
            lambda e: e.update(update=base64.b64encode(b"\x80\x80\x80\x80\x01\x00").decode())
        ),
        422,
    ),
    "stranger author": (lambda: _with_event(lambda e: e.update(author="nobody")), 422),
    "text that is not JSON": (lambda: _with_event(lambda e: e.update(text="{oops"), 1), 422),
    "two payloads": (lambda: _with_event(lambda e: e.update(text="{}")), 422),
    "ts_ms a string": (lambda: _with_event(lambda e: e.update(ts_ms="1")), 422),
    "seek points past the events": (
        lambda: _zip(
            {
                **_valid(),
                "seek_snapshots.jsonl": b'{"upto_index": 7, "ts_ms": 1, "state": "AAA="}\n',
            }
        ),
        422,
    ),
    "larger than DUET_MAX_ARCHIVE_BYTES": (
        lambda: _zip({**_valid(), "seek_snapshots.jsonl": os.urandom(65 * 1024 * 1024)}),
        413,
    ),
}


async def _stored(app: AppHarness) -> list[int]:
    async with app.services.db.session() as s:
        return [
            int(await s.scalar(select(func.count()).select_from(t)) or 0)
            for t in (SessionRow, ParticipantRow, SessionEventRow, AuditRecordRow)
        ]


async def test_a_valid_archive_imports(app: AppHarness, admin_headers: dict[str, str]) -> None:
    """The baseline every hostile variant departs from."""
    response = await app.client.post("/api/v1/session-imports", content=_zip(_valid()), headers=admin_headers)
    assert response.status_code == 201, response.text
    assert await app.services.rooms.files(response.json()["id"]) == ({"main.py": "print(1)\n"}, {})


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_hostile_archives_are_refused_and_change_nothing(
    app: AppHarness, admin_headers: dict[str, str], name: str
) -> None:
    build, status = HOSTILE[name]
    before = await _stored(app)
    response = await app.client.post("/api/v1/session-imports", content=build(), headers=admin_headers)
    assert response.status_code == status, (name, response.text)
    assert set(response.json()) == {"error"}
    assert await _stored(app) == before


async def test_reviewers_and_strangers_cannot_import(app: AppHarness, admin_headers: dict[str, str]) -> None:
    reviewer = await app.api_key(await app.member("rev@example.com", OrgRole.REVIEWER))
    assert_problem(
        await app.client.post("/api/v1/session-imports", content=_zip(_valid()), headers=reviewer),
        403,
        "forbidden",
    )
    assert_problem(
        await app.client.post("/api/v1/session-imports", content=_zip(_valid())), 401, "unauthenticated"
    )
