"""Who may play a session back, through both doors (API key; login cookie), and what they get:
admins and interviewers any time, reviewers once it ended, guests never (403 on their cookie),
other organizations not at all (404). Bad input is a 4xx problem."""

from __future__ import annotations

import httpx
import pytest

from server.accounts.models import OrgRole
from server.recording.events import NewEvent
from server.sessions.roles import Role
from server.web.auth import LOGIN_COOKIE, participant_cookie
from tests.support.app_harness import PASSWORD, AppHarness
from tests.support.recorded_session import record_session

pytestmark = pytest.mark.anyio

T0 = 1_700_000_000_000
KINDS = ("timeline", "state?t={t}", "events?from={t0}&to={t}")


async def _session(app: AppHarness) -> tuple[str, dict[Role, str], int]:
    svc = app.services
    org = await svc.accounts.default_organization()
    session, issued = await svc.sessions.create(
        org_id=org.id, title="Recorded", language="python", created_by=None
    )
    recorded = record_session(session.id, start_ms=T0, updates=120, duration_ms=30_000)
    await svc.recording.append(recorded.events)
    links = {i.link.role: i.token for i in issued}
    return session.id, links, recorded.updates[-1][0]


def _paths(prefix: str, t: int) -> list[str]:
    return [f"{prefix}/playback/" + k.format(t=t, t0=T0) for k in KINDS]


async def _login_cookie(app: AppHarness, email: str, role: OrgRole) -> dict[str, str]:
    await app.member(email, role)
    _, token = await app.services.accounts.login(email, PASSWORD)
    return {LOGIN_COOKIE: token}


async def _get(app: AppHarness, path: str) -> httpx.Response:
    return await app.client.get(path, headers={"Accept": "application/json"})


async def test_members_play_back_and_get_the_documented_shapes(
    app: AppHarness, admin_headers: dict[str, str]
) -> None:
    session_id, _, end = await _session(app)
    for path in _paths(f"/api/v1/sessions/{session_id}", end):
        response = await app.client.get(path, headers=admin_headers)
        assert response.status_code == 200, response.text
    timeline = (
        await app.client.get(f"/api/v1/sessions/{session_id}/playback/timeline", headers=admin_headers)
    ).json()
    assert (
        timeline["session"]["title"] == "Recorded"
        and timeline["start_ms"] == T0
        and timeline["end_ms"] == end
    )
    assert len(timeline["participants"]) == 3 and any(m["kind"] == "run" for m in timeline["markers"])
    state = (
        await app.client.get(f"/api/v1/sessions/{session_id}/playback/state?t={end}", headers=admin_headers)
    ).json()
    assert [f["path"] for f in state["files"]] and state["main"] == "main.py" and state["updates"]
    assert set(state["console"]) == {"run", "terminal"}
    page = (
        await app.client.get(
            f"/api/v1/sessions/{session_id}/playback/events?from={T0}&to={end}&limit=10",
            headers=admin_headers,
        )
    ).json()
    assert len(page["events"]) == 10 and page["next_after"] == page["events"][-1]["id"]
    # the browser's door: same JSON with the login cookie
    cookies = await _login_cookie(app, "ivy@example.com", OrgRole.INTERVIEWER)
    app.client.cookies.update(cookies)
    try:
        same = await _get(app, f"/s/{session_id}/playback/state?t={end}")
        assert same.status_code == 200 and same.json() == state
    finally:
        app.client.cookies.clear()


async def test_reviewers_wait_for_the_end_other_organizations_see_nothing(
    app: AppHarness, admin_headers: dict[str, str]
) -> None:
    session_id, _, end = await _session(app)
    reviewer = await app.api_key(await app.member("rae@example.com", OrgRole.REVIEWER))
    interviewer = await app.api_key(await app.member("ian@example.com", OrgRole.INTERVIEWER))
    rival_org = await app.services.accounts.create_organization("Rival")
    rival = await app.api_key(await app.member("rival@example.com", OrgRole.ADMIN, org_id=rival_org.id))
    for path in _paths(f"/api/v1/sessions/{session_id}", end):
        assert (await app.client.get(path, headers=reviewer)).status_code == 403
        assert (await app.client.get(path, headers=interviewer)).status_code == 200
        missing = await app.client.get(path, headers=rival)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        assert (await app.client.get(path)).status_code == 401
    reviewer_cookie = await _login_cookie(app, "rita@example.com", OrgRole.REVIEWER)
    app.client.cookies.update(reviewer_cookie)
    try:
        assert (await _get(app, f"/s/{session_id}/playback/timeline")).status_code == 403
    finally:
        app.client.cookies.clear()
    assert (
        await app.client.post(f"/api/v1/sessions/{session_id}/end", headers=admin_headers)
    ).status_code == 200
    for path in _paths(f"/api/v1/sessions/{session_id}", end):
        assert (await app.client.get(path, headers=reviewer)).status_code == 200
        assert (await app.client.get(path, headers=rival)).status_code == 404
    app.client.cookies.update(reviewer_cookie)
    try:
        assert (await _get(app, f"/s/{session_id}/playback/timeline")).status_code == 200
    finally:
        app.client.cookies.clear()


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.OBSERVER])
async def test_guests_are_refused_at_every_door(app: AppHarness, role: Role) -> None:
    session_id, links, end = await _session(app)
    admission = await app.services.sessions.join(links[role], display_name="guest")
    app.client.cookies.set(participant_cookie(session_id), admission.token)
    try:
        for path in [*_paths(f"/s/{session_id}", end), f"/s/{session_id}/playback"]:
            refused = await _get(app, path)
            assert refused.status_code == 403, path
            assert refused.json()["error"]["code"] == "forbidden"
        # the session ends: their access ended with it, and playback still refuses them
        org = await app.services.accounts.default_organization()
        await app.services.end_session(session_id, org_id=org.id)
        for path in [*_paths(f"/s/{session_id}", end), f"/s/{session_id}/playback"]:
            assert (await _get(app, path)).status_code == 403, path
        # their token is no API key
        for path in _paths(f"/api/v1/sessions/{session_id}", end):
            answer = await app.client.get(path, headers={"Authorization": f"Bearer {admission.token}"})
            assert answer.status_code == 401
    finally:
        app.client.cookies.clear()
    # without any cookie: sign in first
    assert (await _get(app, f"/s/{session_id}/playback/timeline")).status_code == 401


async def test_bad_input_is_a_problem_and_changes_nothing(
    app: AppHarness, admin_headers: dict[str, str]
) -> None:
    session_id, _, end = await _session(app)
    base = f"/api/v1/sessions/{session_id}/playback"
    before = await app.services.db.fetch("SELECT count(*) FROM recording_snapshots")
    for query, status in [
        ("state", 422),
        ("state?t=-1", 422),
        (f"state?t={2**53}", 422),
        ("state?t=abc", 422),
        (f"events?from={end}&to={T0}", 400),
        (f"events?from={T0}&to={end}&limit=0", 422),
        (f"events?from={T0}&to={end}&limit=1001", 422),
        (f"events?from={T0}", 422),
    ]:
        answer = await app.client.get(f"{base}/{query}", headers=admin_headers)
        assert answer.status_code == status, (query, answer.text)
        assert (
            answer.headers["content-type"].startswith("application/problem+json")
            or answer.json()["error"]["code"]
        )
    assert await app.services.db.fetch("SELECT count(*) FROM recording_snapshots") == before
    bogus = await app.client.get("/api/v1/sessions/0123abcd/playback/timeline", headers=admin_headers)
    assert bogus.status_code == 404
    await app.services.recording.append([NewEvent(session_id, "chat", b"\x00garbage", None, end + 1)])
    assert (await app.client.get(f"{base}/timeline", headers=admin_headers)).status_code == 200
