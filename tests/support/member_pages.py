"""A member signed in to the pages over HTTP (the login form and its CSRF token)."""

from __future__ import annotations

import re

from server.accounts.models import OrgRole
from tests.support.app_harness import PASSWORD, AppHarness

HTML = {"accept": "text/html"}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, html[:500]
    return match.group(1)


async def sign_in(app: AppHarness, email: str, role: OrgRole) -> None:
    """Create the member and sign in: the app's client holds the login cookie afterwards."""
    await app.member(email, role)
    token = csrf_from((await app.client.get("/login", headers=HTML)).text)
    response = await app.client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf": token, "next": "/assessments"},
        headers=HTML,
    )
    assert response.status_code == 303, response.text
