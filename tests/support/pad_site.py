"""A real `duet serve` with an admin and their API key, and the pad as people open it in Chromium:
the interviewer signs in and enters the session, a guest follows a join link."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.async_api import Browser, Locator, Page, expect

from tests.support.duet_cli import ADMIN_EMAIL, ADMIN_PASSWORD, provision_admin
from tests.support.live_server import LiveServer, live_server


@dataclass(frozen=True)
class CreatedSession:
    """What the browser tests use of POST /api/v1/sessions's answer."""

    id: str
    join: dict[str, str]  # role -> join link


@dataclass
class Site:
    server: LiveServer
    api: dict[str, str]  # the admin's Authorization header
    var_dir: Path
    database_url: str

    async def create_session(
        self, language: str = "python", *, title: str = "Pairing", **extra: object
    ) -> CreatedSession:
        async with httpx.AsyncClient(base_url=self.server.url, headers=self.api) as client:
            response = await client.post(
                "/api/v1/sessions", json={"title": title, "language": language, **extra}
            )
        assert response.status_code == 201, response.text
        body = response.json()
        return CreatedSession(id=str(body["id"]), join={str(k): str(v) for k, v in body["join"].items()})


@contextmanager
def running_site(
    var_dir: Path, *, port: int | None = None, extra_env: Mapping[str, str] | None = None
) -> Iterator[Site]:
    """An admin made with the CLI, then `duet serve` on an SQLite database in ``var_dir``."""
    database_url = f"sqlite:///{var_dir / 'duet.db'}"
    api = {"Authorization": f"Bearer {provision_admin(var_dir, database_url)}"}
    with live_server(var_dir, database_url, port=port, extra_env=extra_env) as server:
        yield Site(server, api, var_dir, database_url)


async def interviewer_pad(browser: Browser, base: str, session_id: str) -> Page:
    """The admin signs in, lands on the session's page and enters the pad."""
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{base}/login?next=/s/{session_id}")
    await page.get_by_label("Email").fill(ADMIN_EMAIL)
    await page.get_by_label("Password").fill(ADMIN_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("button", name="Open the pad").click()  # entering is a POST
    await expect(page.locator("#pad-root")).to_have_attribute("data-ready", "true")
    return page


async def guest_pad(browser: Browser, link: str, name: str) -> Page:
    """A guest follows a join link and joins under ``name``."""
    page = await (await browser.new_context()).new_page()
    await page.goto(link)
    await page.get_by_label("Your name").fill(name)
    await page.get_by_role("button", name="Join session").click()
    await expect(page.locator("#pad-root")).to_have_attribute("data-ready", "true")
    return page


def editor(page: Page) -> Locator:
    return page.locator(".cm-content")


DOC_TEXT = r"""() => [...document.querySelectorAll('.cm-content .cm-line')].map((line) => {
    const copy = line.cloneNode(true);
    copy.querySelectorAll('.cm-ySelectionCaret, .cm-ySelectionInfo').forEach((n) => n.remove());
    return copy.textContent.replaceAll('\u2060', '');
}).join('\n')"""


async def doc_text(page: Page) -> str:
    """The editor's text, without remote cursors' name tags."""
    return str(await page.evaluate(DOC_TEXT))


async def type_at_end(page: Page, text: str) -> None:
    await editor(page).click()
    await page.keyboard.press("Control+End")
    await page.keyboard.type(text, delay=15)
