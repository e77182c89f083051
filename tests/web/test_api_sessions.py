"""The REST API over HTTP (ASGI), on both databases."""

from __future__ import annotations

import pytest

from server.accounts.models import OrgRole
from tests.support.app_harness import AppHarness
from tests.support.problems import assert_problem

pytestmark = pytest.mark.anyio


async def test_create_answers_201_with_join_urls(app: AppHarness, admin_headers: dict[str, str]) -> None:
    response = await app.client.post(
        "/api/v1/sessions", json={"title": "Rate limiter", "language": "python"}, headers=admin_headers
    )
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/api/v1/sessions/{body['id']}"
    assert body["title"] == "Rate limiter" and body["language"] == "python" and body["state"] == "created"
    assert set(body["join"]) == {"interviewer", "candidate", "observer"}
    for url in body["join"].values():
        assert url.startswith("http://duet.test/j/") and len(url.rsplit("/", 1)[1]) >= 43
    shown = await app.client.get(f"/api/v1/sessions/{body['id']}", headers=admin_headers)
    assert shown.status_code == 200 and shown.json()["join"] == body["join"]


async def test_list_paginates_with_cursor_and_filters_state(
    app: AppHarness, admin_headers: dict[str, str]
) -> None:
    ids = []
    for i in range(3):
        r = await app.client.post(
            "/api/v1/sessions", json={"title": f"s{i}", "language": "go"}, headers=admin_headers
        )
        ids.append(r.json()["id"])
    await app.client.post(f"/api/v1/sessions/{ids[0]}/end", headers=admin_headers)
    first = (await app.client.get("/api/v1/sessions?limit=2", headers=admin_headers)).json()
    assert [s["id"] for s in first["items"]] == [ids[2], ids[1]]
    second = (
        await app.client.get(
            "/api/v1/sessions", params={"limit": 2, "cursor": first["next_cursor"]}, headers=admin_headers
        )
    ).json()
    assert [s["id"] for s in second["items"]] == [ids[0]] and second["next_cursor"] is None
    ended = (await app.client.get("/api/v1/sessions?state=ended", headers=admin_headers)).json()
    assert [s["id"] for s in ended["items"]] == [ids[0]]
    bad = await app.client.get("/api/v1/sessions?cursor=!!notacursor", headers=admin_headers)
    assert_problem(bad, 400, "bad_request")


async def test_end_is_idempotent_and_rotate_revokes(app: AppHarness, admin_headers: dict[str, str]) -> None:
    created = (
        await app.client.post(
            "/api/v1/sessions", json={"title": "t", "language": "java"}, headers=admin_headers
        )
    ).json()
    sid = created["id"]
    rotated = await app.client.post(f"/api/v1/sessions/{sid}/links/candidate/rotate", headers=admin_headers)
    assert rotated.status_code == 200 and rotated.json()["url"] != created["join"]["candidate"]
    old_token = created["join"]["candidate"].rsplit("/", 1)[1]
    refused = await app.client.get(f"/j/{old_token}")
    assert_problem(refused, 403, "forbidden")
    ended = await app.client.post(f"/api/v1/sessions/{sid}/end", headers=admin_headers)
    assert ended.json()["state"] == "ended" and ended.json()["ended_at"]
    again = await app.client.post(f"/api/v1/sessions/{sid}/end", headers=admin_headers)
    assert again.json()["ended_at"] == ended.json()["ended_at"]
    bad_role = await app.client.post(f"/api/v1/sessions/{sid}/links/reviewer/rotate", headers=admin_headers)
    assert_problem(bad_role, 422, "invalid_input")


async def test_authentication_is_required_and_checked(app: AppHarness, admin_headers: dict[str, str]) -> None:
    missing = await app.client.get("/api/v1/sessions")
    assert_problem(missing, 401, "unauthenticated")
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = await app.client.get("/api/v1/sessions", headers={"Authorization": "Bearer duet_nope"})
    assert_problem(wrong, 401, "unauthenticated")
    basic = await app.client.get("/api/v1/sessions", headers={"Authorization": "Basic YTpi"})
    assert_problem(basic, 401, "unauthenticated")


async def test_reviewers_read_but_cannot_create_or_see_links(
    app: AppHarness, admin_headers: dict[str, str]
) -> None:
    created = (
        await app.client.post("/api/v1/sessions", json={"title": "t", "language": "c"}, headers=admin_headers)
    ).json()
    reviewer = await app.api_key(await app.member("rev@example.com", OrgRole.REVIEWER))
    refused = await app.client.post(
        "/api/v1/sessions", json={"title": "t", "language": "c"}, headers=reviewer
    )
    assert_problem(refused, 403, "forbidden")
    assert_problem(
        await app.client.post(f"/api/v1/sessions/{created['id']}/end", headers=reviewer), 403, "forbidden"
    )
    shown = (await app.client.get(f"/api/v1/sessions/{created['id']}", headers=reviewer)).json()
    assert shown["join"] is None and shown["links"] == []


async def test_other_organizations_sessions_are_invisible(
    app: AppHarness, admin_headers: dict[str, str]
) -> None:
    created = (
        await app.client.post("/api/v1/sessions", json={"title": "t", "language": "c"}, headers=admin_headers)
    ).json()
    other_org = await app.services.accounts.create_organization("Rival")
    rival = await app.api_key(await app.member("rival@example.com", OrgRole.ADMIN, org_id=other_org.id))
    assert_problem(await app.client.get(f"/api/v1/sessions/{created['id']}", headers=rival), 404, "not_found")
    assert (await app.client.get("/api/v1/sessions", headers=rival)).json()["items"] == []
    assert_problem(
        await app.client.post(f"/api/v1/sessions/{created['id']}/end", headers=rival), 404, "not_found"
    )
    state = (await app.client.get(f"/api/v1/sessions/{created['id']}", headers=admin_headers)).json()["state"]
    assert state == "created"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"title": "t", "language": "cobol"}, "language"),
        ({"title": "", "language": "python"}, "title"),
        ({"title": "x" * 201, "language": "python"}, "title"),
        ({"language": "python"}, "title"),
        ({"title": "t", "language": "python", "extra": 1}, "extra"),
        ({"title": "t", "language": "python", "link_ttl_hours": 0}, "link_ttl_hours"),
        ({"title": "t", "language": "python", "link_ttl_hours": True}, "link_ttl_hours"),
        ({"title": "t", "language": "python", "link_ttl_hours": "12"}, "link_ttl_hours"),
    ],
)
async def test_bad_input_is_422_and_changes_nothing(
    app: AppHarness, admin_headers: dict[str, str], body: dict[str, object], where: str
) -> None:
    response = await app.client.post("/api/v1/sessions", json=body, headers=admin_headers)
    error = assert_problem(response, 422, "invalid_input")
    assert where in str(error["details"])
    assert (await app.client.get("/api/v1/sessions", headers=admin_headers)).json()["items"] == []


async def test_malformed_json_and_oversized_bodies(app: AppHarness, admin_headers: dict[str, str]) -> None:
    headers = {**admin_headers, "content-type": "application/json"}
    assert_problem(
        await app.client.post("/api/v1/sessions", content=b"{not json", headers=headers), 422, "invalid_input"
    )
    huge = b'{"title": "' + b"x" * (5 * 1024 * 1024) + b'", "language": "python"}'
    assert_problem(
        await app.client.post("/api/v1/sessions", content=huge, headers=headers), 413, "payload_too_large"
    )
    assert_problem(
        await app.client.get("/api/v1/sessions/NOT-HEX", headers=admin_headers), 422, "invalid_input"
    )
    assert_problem(
        await app.client.get("/api/v1/sessions/abcdef0123456789", headers=admin_headers), 404, "not_found"
    )
    assert_problem(
        await app.client.delete("/api/v1/sessions", headers=admin_headers), 405, "method_not_allowed"
    )
    assert_problem(await app.client.get("/api/v1/nothing-here", headers=admin_headers), 404, "not_found")


async def test_a_candidate_token_never_opens_the_api(app: AppHarness, admin_headers: dict[str, str]) -> None:
    created = (
        await app.client.post("/api/v1/sessions", json={"title": "t", "language": "c"}, headers=admin_headers)
    ).json()
    token = created["join"]["candidate"].rsplit("/", 1)[1]
    admission = await app.services.sessions.join(token, display_name="Cand")
    for credential in (token, admission.token):
        headers = {"Authorization": f"Bearer {credential}"}
        assert_problem(await app.client.get("/api/v1/sessions", headers=headers), 401, "unauthenticated")
        assert_problem(
            await app.client.get(f"/api/v1/sessions/{created['id']}", headers=headers), 401, "unauthenticated"
        )
    # A participant cookie does not authenticate the API either.
    app.client.cookies.set(f"duet_p_{created['id']}", admission.token)
    assert_problem(await app.client.get(f"/api/v1/sessions/{created['id']}"), 401, "unauthenticated")


async def test_participants_listing(app: AppHarness, admin_headers: dict[str, str]) -> None:
    created = (
        await app.client.post("/api/v1/sessions", json={"title": "t", "language": "c"}, headers=admin_headers)
    ).json()
    await app.services.sessions.join(created["join"]["candidate"].rsplit("/", 1)[1], display_name="Grace")
    listed = (
        await app.client.get(f"/api/v1/sessions/{created['id']}/participants", headers=admin_headers)
    ).json()
    assert [(p["role"], p["display_name"]) for p in listed] == [("candidate", "Grace")]
    assert (await app.client.get(f"/api/v1/sessions/{created['id']}", headers=admin_headers)).json()[
        "state"
    ] == "live"


async def test_healthz_and_openapi(app: AppHarness) -> None:
    health = await app.client.get("/healthz")
    assert health.status_code == 200 and health.json() == {
        "status": "ok",
        "database": "ok",
        "services": {"events": "ok", "rooms": "ok", "control": "ok", "engine": "ok"},
    }
    spec = (await app.client.get("/api/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/sessions", "/api/v1/sessions/{session_id}", "/api/v1/sessions/{session_id}/end"} <= set(
        spec["paths"]
    )
    assert not any(path.startswith(("/j/", "/login", "/dashboard")) for path in spec["paths"])


async def test_security_headers_and_no_token_in_logs(
    app: AppHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="server.web.access")
    response = await app.client.get("/j/some-secret-token-value")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    access = " ".join(r.getMessage() for r in caplog.records if r.name == "server.web.access")
    assert "some-secret-token-value" not in access
    assert "/j/…" in access
