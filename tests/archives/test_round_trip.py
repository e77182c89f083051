"""Export a session's recording, import it into another Duet with its own database: the same
document, the same events in the same order at the same times, fresh ids, no usable token."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from pycrdt import Doc, Map, Text
from sqlalchemy import select

from server.errors import Unauthenticated
from server.recording.events import EventKind, NewEvent
from server.sessions.roles import Role
from server.settings import Settings
from server.store.recording_tables import DocSnapshotRow, RecordingSnapshotRow
from server.web.app import create_app
from tests.support.app_harness import AppHarness
from tests.support.databases import fresh_database

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def second_duet(settings: Settings, tmp_path: Path) -> AsyncIterator[AppHarness]:
    """Another Duet: its own database (of the same kind), its own secret."""
    kind = "sqlite" if settings.effective_database_url.startswith("sqlite") else "postgres"
    (tmp_path / "b").mkdir()
    async with fresh_database(kind, tmp_path / "b") as url:
        other = replace(settings, database_url=url, var_dir=tmp_path / "b", secret_key="another-" + "y" * 40)
        application = create_app(other)
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://other.test") as client:
                yield AppHarness(client=client, services=application.state.services)


def _edit(doc: Doc[Any], change: Any) -> bytes:
    before = doc.get_state()
    with doc.transaction():
        change(doc)
    return doc.get_update(before)


async def _recorded(app: AppHarness, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    """An ended session with two participants, edits by both, chat, and a seek snapshot."""
    svc = app.services
    created = (
        await app.client.post(
            "/api/v1/sessions", json={"title": "Trie", "language": "python"}, headers=headers
        )
    ).json()
    sid = created["id"]
    session = await svc.sessions.get(sid, org_id=(await svc.accounts.default_organization()).id)
    ada = (
        await svc.sessions.admit_member(
            session, user_id=session.created_by or "", display_name="Ada", role=Role.INTERVIEWER
        )
    ).participant
    cara = (
        await svc.sessions.join(created["join"]["candidate"].rsplit("/", 1)[1], display_name="Cara")
    ).participant
    doc: Doc[Any] = Doc()
    files: Map[Any] = doc.get("files", type=Map)
    u1 = _edit(doc, lambda d: files.__setitem__("main.py", Text("def f():\n")))
    u2 = _edit(doc, lambda d: files["main.py"].insert(9, "    return 42\n"))
    u3 = _edit(doc, lambda d: files.__setitem__("test_main.py", Text("assert f() == 42\n")))
    join = json.dumps({"participant_id": cara.id, "name": "Cara", "role": "candidate"}).encode()
    ids = await svc.recording.append(
        [
            NewEvent(sid, EventKind.JOIN, join, cara.id, 1_000),
            NewEvent(sid, EventKind.DOC_UPDATE, u1, ada.id, 1_010),
            NewEvent(sid, EventKind.DOC_UPDATE, u2, cara.id, 2_000),
            NewEvent(sid, "chat", json.dumps({"from": cara.id, "text": "done?"}).encode(), cara.id, 2_500),
            NewEvent(sid, EventKind.DOC_UPDATE, u3, cara.id, 3_000),
            NewEvent(sid, EventKind.AWARENESS, b'{"cursor":null}', ada.id, 3_100),
        ]
    )
    partial: Doc[Any] = Doc()
    partial.apply_update(u1)
    partial.apply_update(u2)
    async with svc.db.transaction() as tx:
        tx.add(RecordingSnapshotRow(session_id=sid, upto_id=ids[2], ts_ms=2_000, state=partial.get_update()))
    assert (await app.client.post(f"/api/v1/sessions/{sid}/end", headers=headers)).status_code == 200
    return sid, {ada.id: "Ada", cara.id: "Cara"}


async def test_round_trip_into_another_duet(
    app: AppHarness, admin_headers: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    sid, names = await _recorded(app, admin_headers)
    exported = await app.client.get(f"/api/v1/sessions/{sid}/recording/archive", headers=admin_headers)
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    archive = exported.content
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        assert sorted(z.namelist()) == ["events.jsonl", "manifest.json", "seek_snapshots.jsonl"]
        everything = b"".join(z.read(n) for n in z.namelist())
        manifest = json.loads(z.read("manifest.json"))
    assert manifest["version"] == 1 and manifest["events"]["count"] == 7 and manifest["media"] == []
    for p in await app.services.sessions.participants(
        await app.services.sessions.get(sid, org_id=(await app.services.accounts.default_organization()).id)
    ):
        assert p.token_hash.encode() not in everything and p.nonce.encode() not in everything
    assert b"admin@example.com" not in everything

    source_events = await app.services.recording.read(sid)
    source_files = await app.services.rooms.files(sid)
    async with second_duet(settings, tmp_path) as other:
        headers = await other.api_key(await other.member("boss@other.test"))
        imported = await other.client.post(
            "/api/v1/session-imports", content=archive, headers={**headers, "Content-Type": "application/zip"}
        )
        assert imported.status_code == 201, imported.text
        body = imported.json()
        new_sid = body["id"]
        assert new_sid != sid and body["state"] == "ended" and body["title"] == "Trie" and body["links"] == []
        svc = other.services
        events = await svc.recording.read(new_sid)
        # the same events, in the same order, at the same times; authors remapped to fresh ids
        assert [(e.ts_ms, e.kind) for e in events] == [(e.ts_ms, e.kind) for e in source_events]
        people = {
            p.id: p
            for p in await svc.sessions.participants(
                await svc.sessions.get(new_sid, org_id=(await svc.accounts.default_organization()).id)
            )
        }
        assert sorted(p.display_name for p in people.values()) == ["Ada", "Cara"] and not set(people) & set(
            names
        )
        for old, new in zip(source_events, events, strict=True):
            assert (names[old.author] if old.author else None) == (
                people[new.author].display_name if new.author else None
            )
            if old.kind == EventKind.DOC_UPDATE:
                assert new.data == old.data
        chat = json.loads(next(e.data for e in events if e.kind == "chat"))
        assert people[chat["from"]].display_name == "Cara"
        # the same document, from a document snapshot covering every event (the pad opens it)
        assert await svc.rooms.files(new_sid) == source_files
        assert source_files[0]["main.py"] == "def f():\n    return 42\n"
        async with svc.db.session() as s:
            snapshot = await s.get(DocSnapshotRow, new_sid)
            seek = (
                await s.scalars(
                    select(RecordingSnapshotRow).where(RecordingSnapshotRow.session_id == new_sid)
                )
            ).all()
        assert snapshot is not None and snapshot.upto_id == events[-1].id
        assert [(row.upto_id, row.ts_ms) for row in seek] == [(events[2].id, 2_000)]
        # no participant token opens it, not even one derived as the server derives them
        for participant in people.values():
            with pytest.raises(Unauthenticated):
                await svc.sessions.authenticate(new_sid, svc.sessions.participant_token(participant))
        trail = (await other.client.get("/api/v1/audit", headers=headers)).json()["items"]
        assert [(r["action"], r["target_id"], r["details"]["source_session_id"]) for r in trail] == [
            ("session.imported", new_sid, sid)
        ]
        # and it exports again to the same recording
        again = await other.client.get(f"/api/v1/sessions/{new_sid}/recording/archive", headers=headers)
        with zipfile.ZipFile(io.BytesIO(again.content)) as z, zipfile.ZipFile(io.BytesIO(archive)) as first:
            assert [json.loads(x)["ts_ms"] for x in z.read("events.jsonl").splitlines()] == [
                json.loads(x)["ts_ms"] for x in first.read("events.jsonl").splitlines()
            ]


async def test_only_ended_sessions_export_and_reviewers_do_not(
    app: AppHarness, admin_headers: dict[str, str]
) -> None:
    from server.accounts.models import OrgRole
    from tests.support.problems import assert_problem

    live = (
        await app.client.post(
            "/api/v1/sessions", json={"title": "l", "language": "go"}, headers=admin_headers
        )
    ).json()
    assert_problem(
        await app.client.get(f"/api/v1/sessions/{live['id']}/recording/archive", headers=admin_headers),
        409,
        "conflict",
    )
    await app.client.post(f"/api/v1/sessions/{live['id']}/end", headers=admin_headers)
    reviewer = await app.api_key(await app.member("rev@example.com", OrgRole.REVIEWER))
    assert_problem(
        await app.client.get(f"/api/v1/sessions/{live['id']}/recording/archive", headers=reviewer),
        403,
        "forbidden",
    )
    assert (
        await app.client.get(f"/api/v1/sessions/{live['id']}/recording/archive", headers=admin_headers)
    ).status_code == 200
    await app.client.delete(f"/api/v1/sessions/{live['id']}/recording", headers=admin_headers)
    assert_problem(
        await app.client.get(f"/api/v1/sessions/{live['id']}/recording/archive", headers=admin_headers),
        410,
        "gone",
    )
