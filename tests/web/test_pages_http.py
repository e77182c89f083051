"""Pages over HTTP: sign-in redirects, CSRF, origins, open redirects, expired links, pad access."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from server.accounts.models import OrgRole
from server.sessions.roles import Role
from tests.support.app_harness import PASSWORD, AppHarness

pytestmark = pytest.mark.anyio
HTML = {"accept": "text/html"}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, html[:500]
    return match.group(1)


async def signed_in(app: AppHarness, email: str = "admin@example.com", role: OrgRole = OrgRole.ADMIN) -> str:
    await app.member(email, role)
    page = await app.client.get("/login", headers=HTML)
    token = csrf_from(page.text)
    response = await app.client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf": token, "next": "/dashboard"},
        headers=HTML,
    )
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    login_cookie = response.cookies.get("duet_login")
    assert login_cookie
    set_cookie = response.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie
    return token


async def test_pages_need_sign_in_and_remember_where_you_were(app: AppHarness) -> None:
    response = await app.client.get("/dashboard?state=live", headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fdashboard%3Fstate%3Dlive"
    assert (await app.client.get("/", headers=HTML)).headers["location"] == "/login"


async def test_forms_without_a_valid_csrf_token_are_refused(app: AppHarness) -> None:
    token = await signed_in(app)
    for data in (
        {"title": "x", "language": "python"},
        {"title": "x", "language": "python", "csrf": "0" * 64},
    ):
        refused = await app.client.post("/dashboard/sessions", data=data, headers=HTML)
        assert refused.status_code == 403
    cross = await app.client.post(
        "/dashboard/sessions",
        data={"title": "x", "language": "python", "csrf": token},
        headers={**HTML, "origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    org = (await app.services.accounts.default_organization()).id
    assert await app.services.sessions.list_sessions(org_id=org) == []
    ok = await app.client.post(
        "/dashboard/sessions", data={"title": "x", "language": "python", "csrf": token}, headers=HTML
    )
    assert ok.status_code == 303
    assert len(await app.services.sessions.list_sessions(org_id=org)) == 1


async def test_login_never_redirects_off_site(app: AppHarness) -> None:
    await app.member("admin@example.com")
    token = csrf_from((await app.client.get("/login", headers=HTML)).text)
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        response = await app.client.post(
            "/login", data={"email": "admin@example.com", "password": PASSWORD, "csrf": token, "next": target}
        )
        assert response.headers["location"] == "/dashboard"


async def test_repeated_failures_are_throttled(app: AppHarness) -> None:
    await app.member("admin@example.com")
    token = csrf_from((await app.client.get("/login", headers=HTML)).text)
    statuses = []
    for _ in range(7):
        response = await app.client.post(
            "/login",
            data={"email": "admin@example.com", "password": "wrong password!", "csrf": token},
            headers=HTML,
        )
        statuses.append(response.status_code)
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
    right = await app.client.post(
        "/login", data={"email": "admin@example.com", "password": PASSWORD, "csrf": token}, headers=HTML
    )
    assert right.status_code == 429  # even the right password waits out the window


async def test_expired_link_page_says_so_with_410(app: AppHarness) -> None:
    org = (await app.services.accounts.default_organization()).id
    _, issued = await app.services.sessions.create(
        org_id=org, title="t", language="python", created_by=None, link_ttl=timedelta(seconds=-1)
    )
    response = await app.client.get(f"/j/{issued[1].token}", headers=HTML)
    assert response.status_code == 410
    assert "This link has expired" in response.text and "Ask the person who sent you" in response.text
    as_json = await app.client.get(f"/j/{issued[1].token}")
    assert as_json.status_code == 410 and as_json.json()["error"]["code"] == "gone"


async def test_join_validates_the_name_and_changes_nothing(app: AppHarness) -> None:
    org = (await app.services.accounts.default_organization()).id
    session, issued = await app.services.sessions.create(
        org_id=org, title="t", language="python", created_by=None
    )
    link = next(i for i in issued if i.link.role is Role.CANDIDATE)
    token = csrf_from((await app.client.get(f"/j/{link.token}", headers=HTML)).text)
    blank = await app.client.post(
        f"/j/{link.token}", data={"display_name": "   ", "csrf": token}, headers=HTML
    )
    assert blank.status_code == 422 and "display name must not be empty" in blank.text
    assert await app.services.sessions.participants(session) == []
    joined = await app.client.post(
        f"/j/{link.token}", data={"display_name": "Linus", "csrf": token}, headers=HTML
    )
    assert joined.status_code == 303 and joined.headers["location"] == f"/s/{session.id}"
    pad = await app.client.get(f"/s/{session.id}", headers=HTML)
    assert pad.status_code == 200 and 'name="duet-role" content="candidate"' in pad.text


async def test_pad_is_closed_to_strangers_and_other_sessions_cookies(app: AppHarness) -> None:
    org = (await app.services.accounts.default_organization()).id
    first, issued = await app.services.sessions.create(
        org_id=org, title="a", language="python", created_by=None
    )
    second, _ = await app.services.sessions.create(org_id=org, title="b", language="python", created_by=None)
    assert (await app.client.get(f"/s/{first.id}", headers=HTML)).status_code == 404
    admission = await app.services.sessions.join(issued[1].token, display_name="Cand")
    app.client.cookies.set(f"duet_p_{second.id}", admission.token)  # a token of another session
    assert (await app.client.get(f"/s/{second.id}", headers=HTML)).status_code == 404


async def test_reviewers_open_only_ended_sessions(app: AppHarness) -> None:
    await signed_in(app, "rev@example.com", OrgRole.REVIEWER)
    org = (await app.services.accounts.default_organization()).id
    session, _ = await app.services.sessions.create(org_id=org, title="a", language="python", created_by=None)
    assert (await app.client.get(f"/s/{session.id}", headers=HTML)).status_code == 403
    await app.services.sessions.end(session.id, org_id=org)
    entrance = await app.client.get(f"/s/{session.id}", headers=HTML)
    assert entrance.status_code == 200 and 'data-testid="enter-role">reviewer' in entrance.text
    admitted = await app.client.post(
        f"/s/{session.id}/enter", data={"csrf": csrf_from(entrance.text)}, headers=HTML
    )
    assert admitted.status_code == 303
    pad = await app.client.get(f"/s/{session.id}", headers=HTML)
    assert 'name="duet-role" content="reviewer"' in pad.text and "read-only" in pad.text
