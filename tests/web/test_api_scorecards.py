"""Scorecards over the REST API and the page's JSON, on both databases: each member writes their
own, submitted is final, and nobody sees the others' before submitting their own."""

from __future__ import annotations

import httpx
import pytest

from server.accounts.models import OrgRole
from server.web.auth import LOGIN_COOKIE
from tests.support.app_harness import PASSWORD, AppHarness
from tests.support.problems import assert_problem

pytestmark = pytest.mark.anyio

FULL = {"problem_solving": 3, "code_quality": 2, "communication": 4, "testing": 1}


async def _session(app: AppHarness, headers: dict[str, str], *, end: bool = True) -> str:
    created = await app.client.post(
        "/api/v1/sessions", json={"title": "t", "language": "python"}, headers=headers
    )
    sid: str = created.json()["id"]
    if end:
        assert (await app.client.post(f"/api/v1/sessions/{sid}/end", headers=headers)).status_code == 200
    return sid


async def test_reviewers_do_not_see_others_until_they_submit(
    app: AppHarness, admin_headers: dict[str, str]
) -> None:
    sid = await _session(app, admin_headers)
    alice = await app.api_key(await app.member("alice@example.com", OrgRole.REVIEWER))
    bob = await app.api_key(await app.member("bob@example.com", OrgRole.REVIEWER))
    base = f"/api/v1/sessions/{sid}/scorecards"

    blank = await app.client.get(f"{base}/mine", headers=alice)
    assert blank.status_code == 200 and blank.json()["ratings"] == {} and blank.json()["submitted"] is False

    draft = await app.client.put(
        f"{base}/mine", json={"ratings": FULL, "notes": "alice: SECRET-A"}, headers=alice
    )
    assert draft.status_code == 200 and draft.json()["ratings"] == FULL and draft.json()["author"] == "Alice"
    assert (await app.client.post(f"{base}/mine/submit", headers=alice)).json()["submitted"] is True

    # bob has a draft, not submitted: the list is refused, and it does not leak alice's notes
    await app.client.put(
        f"{base}/mine", json={"ratings": {"testing": 2}, "notes": "bob: SECRET-B"}, headers=bob
    )
    refused = await app.client.get(base, headers=bob)
    assert_problem(refused, 403, "forbidden")
    assert "SECRET-A" not in refused.text
    # alice sees the submitted ones only: hers, not bob's draft
    seen = (await app.client.get(base, headers=alice)).json()
    assert [c["author"] for c in seen["items"]] == ["Alice"] and "SECRET-B" not in str(seen)
    assert seen["criteria"] == ["problem_solving", "code_quality", "communication", "testing"]

    # bob cannot submit an incomplete card; then completes and submits, and sees both
    assert_problem(await app.client.post(f"{base}/mine/submit", headers=bob), 409, "conflict")
    await app.client.put(f"{base}/mine", json={"ratings": FULL, "notes": "bob: SECRET-B"}, headers=bob)
    assert (await app.client.post(f"{base}/mine/submit", headers=bob)).status_code == 200
    both = (await app.client.get(base, headers=bob)).json()["items"]
    assert sorted(c["author"] for c in both) == ["Alice", "Bob"]


async def test_submitted_is_final_and_input_is_checked(
    app: AppHarness, admin_headers: dict[str, str]
) -> None:
    sid = await _session(app, admin_headers)
    base = f"/api/v1/sessions/{sid}/scorecards"
    for bad in (
        {"ratings": {"problem_solving": 5}},
        {"ratings": {"problem_solving": 0}},
        {"ratings": {"problem_solving": True}},
        {"ratings": {"problem_solving": "3"}},
        {"ratings": {"charisma": 3}},
        {"notes": "x" * 20_001},
        {"ratings": {}, "extra": 1},
    ):
        assert_problem(
            await app.client.put(f"{base}/mine", json=bad, headers=admin_headers), 422, "invalid_input"
        )
    assert (await app.client.get(f"{base}/mine", headers=admin_headers)).json()["updated_at"] is None
    assert_problem(await app.client.post(f"{base}/mine/submit", headers=admin_headers), 409, "conflict")

    await app.client.put(f"{base}/mine", json={"ratings": FULL, "notes": "n"}, headers=admin_headers)
    submitted = await app.client.post(f"{base}/mine/submit", headers=admin_headers)
    assert submitted.status_code == 200 and submitted.json()["submitted_at"]
    again = await app.client.put(f"{base}/mine", json={"ratings": {"testing": 4}}, headers=admin_headers)
    assert_problem(again, 409, "conflict")
    assert_problem(await app.client.post(f"{base}/mine/submit", headers=admin_headers), 409, "conflict")
    kept = (await app.client.get(f"{base}/mine", headers=admin_headers)).json()
    assert kept["ratings"] == FULL and kept["submitted_at"] == submitted.json()["submitted_at"]


async def test_who_may_write(app: AppHarness, admin_headers: dict[str, str]) -> None:
    live = await _session(app, admin_headers, end=False)
    reviewer = await app.api_key(await app.member("rita@example.com", OrgRole.REVIEWER))
    interviewer = await app.api_key(await app.member("ivan@example.com", OrgRole.INTERVIEWER))
    base = f"/api/v1/sessions/{live}/scorecards"
    # reviewers review ended sessions only; interviewers may write while it is live
    for method, path in (("GET", "/mine"), ("PUT", "/mine"), ("POST", "/mine/submit"), ("GET", "")):
        response = await app.client.request(method, base + path, json={"ratings": {}}, headers=reviewer)
        assert_problem(response, 403, "forbidden")
    assert (
        await app.client.put(f"{base}/mine", json={"ratings": {"testing": 3}}, headers=interviewer)
    ).status_code == 200

    # another organization's member gets 404, without a key 401
    other_org = await app.services.accounts.create_organization("Other")
    outsider = await app.api_key(await app.member("eve@example.com", OrgRole.ADMIN, org_id=other_org.id))
    assert_problem(await app.client.get(f"{base}/mine", headers=outsider), 404, "not_found")
    assert_problem(await app.client.get(f"{base}/mine"), 401, "unauthenticated")


async def test_the_page_json_needs_the_sign_in_and_csrf(
    app: AppHarness, admin_headers: dict[str, str]
) -> None:
    sid = await _session(app, admin_headers)
    await app.member("rosa@example.com", OrgRole.REVIEWER)
    _, login = await app.services.accounts.login("rosa@example.com", PASSWORD)
    app.client.cookies.set(LOGIN_COOKIE, login)
    base = f"/s/{sid}/scorecards"
    mine = await app.client.get(f"{base}/mine", headers={"Accept": "application/json"})
    assert mine.status_code == 200, mine.text
    token = mine.headers["x-csrf-token"]
    no_token = await app.client.put(f"{base}/mine", json={"ratings": {"testing": 3}})
    assert_problem(no_token, 403, "forbidden")
    cross = await app.client.put(
        f"{base}/mine",
        json={"ratings": {"testing": 3}},
        headers={"X-CSRF-Token": token, "Origin": "http://evil.test"},
    )
    assert_problem(cross, 403, "forbidden")
    saved = await app.client.put(f"{base}/mine", json={"ratings": FULL}, headers={"X-CSRF-Token": token})
    assert saved.status_code == 200 and saved.json()["ratings"] == FULL
    assert (await app.client.post(f"{base}/mine/submit", headers={"X-CSRF-Token": token})).status_code == 200
    assert [c["author"] for c in (await app.client.get(base)).json()["items"]] == ["Rosa"]

    # a guest (a candidate's cookie, no sign-in) reaches none of it
    async with httpx.AsyncClient(transport=app.client._transport, base_url="http://duet.test") as guest:
        assert_problem(
            await guest.get(f"{base}/mine", headers={"Accept": "application/json"}), 401, "unauthenticated"
        )
