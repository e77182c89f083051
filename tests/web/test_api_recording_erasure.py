"""Deleting a finished session's recording (GDPR), with its audit record, on both databases."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from server.accounts.models import OrgRole
from server.recording.events import EventKind, NewEvent, Snapshot
from server.sessions.roles import Role
from server.store.audit_tables import AuditRecordRow
from server.store.recording_tables import DocSnapshotRow, RecordingSnapshotRow, SessionEventRow
from server.store.review_tables import ScorecardRow
from server.web.auth import LOGIN_COOKIE
from tests.support.app_harness import PASSWORD, AppHarness
from tests.support.problems import assert_problem

pytestmark = pytest.mark.anyio

FULL = {"problem_solving": 3, "code_quality": 2, "communication": 4, "testing": 1}
TABLES = (SessionEventRow, DocSnapshotRow, RecordingSnapshotRow, ScorecardRow)


async def _recorded_session(app: AppHarness, headers: dict[str, str]) -> str:
    """An ended session with events, a document snapshot, a seek snapshot and a scorecard."""
    created = await app.client.post(
        "/api/v1/sessions", json={"title": "Doomed", "language": "go"}, headers=headers
    )
    sid: str = created.json()["id"]
    svc = app.services
    ids = await svc.recording.append(
        [
            NewEvent(
                sid,
                EventKind.JOIN,
                json.dumps({"participant_id": "p", "name": "n", "role": "x"}).encode(),
                "p",
                1,
            ),
            NewEvent(sid, EventKind.DOC_UPDATE, b"\x00\x00", "p", 2),
            NewEvent(sid, "chat", b'{"text": "hello"}', "p", 3),
        ]
    )
    await svc.recording.save_snapshot(Snapshot(sid, ids[1], b"\x00\x00"))
    async with svc.db.transaction() as tx:
        tx.add(RecordingSnapshotRow(session_id=sid, upto_id=ids[1], ts_ms=2, state=b"\x00\x00"))
    assert (await app.client.post(f"/api/v1/sessions/{sid}/end", headers=headers)).status_code == 200
    await app.client.put(f"/api/v1/sessions/{sid}/scorecards/mine", json={"ratings": FULL}, headers=headers)
    return sid


async def _counts(app: AppHarness, sid: str) -> list[int]:
    async with app.services.db.session() as s:
        return [
            int(await s.scalar(select(func.count()).select_from(t).where(t.session_id == sid)) or 0)
            for t in TABLES
        ]


async def test_delete_removes_everything_and_is_audited(
    app: AppHarness, admin_headers: dict[str, str]
) -> None:
    doomed = await _recorded_session(app, admin_headers)
    kept = await _recorded_session(app, admin_headers)
    assert await _counts(app, doomed) == [4, 1, 1, 1]  # 3 events + session.ended

    deleted = await app.client.delete(f"/api/v1/sessions/{doomed}/recording", headers=admin_headers)
    assert deleted.status_code == 200, deleted.text
    record = deleted.json()
    assert record["action"] == "recording.deleted" and record["target_id"] == doomed
    assert record["actor_name"] == "Admin <admin@example.com>"
    assert record["details"] == {
        "title": "Doomed",
        "events": 4,
        "doc_snapshots": 1,
        "seek_snapshots": 1,
        "scorecards": 1,
    }
    assert await _counts(app, doomed) == [0, 0, 0, 0]
    assert await _counts(app, kept) == [4, 1, 1, 1]
    # the session itself stays, listed as before
    assert (await app.client.get(f"/api/v1/sessions/{doomed}", headers=admin_headers)).status_code == 200

    trail = await app.client.get("/api/v1/audit", headers=admin_headers)
    assert trail.status_code == 200 and trail.json()["items"] == [record]


async def test_only_admins_delete_and_only_ended_sessions(
    app: AppHarness, admin_headers: dict[str, str]
) -> None:
    sid = await _recorded_session(app, admin_headers)
    for role in (OrgRole.INTERVIEWER, OrgRole.REVIEWER):
        headers = await app.api_key(await app.member(f"{role.value}@example.com", role))
        assert_problem(
            await app.client.delete(f"/api/v1/sessions/{sid}/recording", headers=headers), 403, "forbidden"
        )
        assert_problem(await app.client.get("/api/v1/audit", headers=headers), 403, "forbidden")
    live = (
        await app.client.post(
            "/api/v1/sessions", json={"title": "l", "language": "go"}, headers=admin_headers
        )
    ).json()
    assert_problem(
        await app.client.delete(f"/api/v1/sessions/{live['id']}/recording", headers=admin_headers),
        409,
        "conflict",
    )
    other_org = await app.services.accounts.create_organization("Other")
    outsider = await app.api_key(await app.member("eve@example.com", OrgRole.ADMIN, org_id=other_org.id))
    assert_problem(
        await app.client.delete(f"/api/v1/sessions/{sid}/recording", headers=outsider), 404, "not_found"
    )
    assert_problem(await app.client.delete(f"/api/v1/sessions/{sid}/recording"), 401, "unauthenticated")
    # nothing was deleted, nothing audited, and the other organization's trail is its own
    assert await _counts(app, sid) == [4, 1, 1, 1]
    async with app.services.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(AuditRecordRow)) == 0
    await app.client.delete(f"/api/v1/sessions/{sid}/recording", headers=admin_headers)
    assert (await app.client.get("/api/v1/audit", headers=outsider)).json()["items"] == []


async def test_audit_trail_pages(app: AppHarness, admin_headers: dict[str, str]) -> None:
    sids = [await _recorded_session(app, admin_headers) for _ in range(3)]
    for sid in sids:
        await app.client.delete(f"/api/v1/sessions/{sid}/recording", headers=admin_headers)
    first = (await app.client.get("/api/v1/audit?limit=2", headers=admin_headers)).json()
    assert [r["target_id"] for r in first["items"]] == [sids[2], sids[1]]
    second = (
        await app.client.get(
            "/api/v1/audit", params={"limit": 2, "cursor": first["next_cursor"]}, headers=admin_headers
        )
    ).json()
    assert [r["target_id"] for r in second["items"]] == [sids[0]] and second["next_cursor"] is None
    assert_problem(await app.client.get("/api/v1/audit?cursor=!!", headers=admin_headers), 400, "bad_request")


async def test_a_deleted_recording_s_pad_says_so(app: AppHarness, admin_headers: dict[str, str]) -> None:
    sid = await _recorded_session(app, admin_headers)
    reviewer = await app.member("rosa@example.com", OrgRole.REVIEWER)
    session = await app.services.sessions.get(sid, org_id=reviewer.org_id)
    await app.services.sessions.admit_member(
        session, user_id=reviewer.id, display_name="Rosa", role=Role.REVIEWER
    )
    _, login = await app.services.accounts.login("rosa@example.com", PASSWORD)
    app.client.cookies.set(LOGIN_COOKIE, login)
    assert (await app.client.get(f"/s/{sid}", headers={"accept": "text/html"})).status_code == 200
    await app.client.delete(f"/api/v1/sessions/{sid}/recording", headers=admin_headers)
    page = await app.client.get(f"/s/{sid}", headers={"accept": "text/html"})
    assert page.status_code == 410 and "recording was deleted" in page.text
    # and nothing the page would have done recreated any of it
    assert await _counts(app, sid) == [0, 0, 0, 0]
