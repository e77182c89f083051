"""The pages in a real headless Chromium against a real `duet serve`."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.support.duet_cli import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.support.pad_site import Site, running_site

pytestmark = [pytest.mark.anyio, pytest.mark.browser]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with running_site(tmp_path_factory.mktemp("pages")) as running:
        yield running


async def sign_in(page: Page, site: Site, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
    await page.goto(f"{site.server.url}/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()


async def test_interviewer_creates_a_session_and_candidate_joins(browser: Browser, site: Site) -> None:
    interviewer = await browser.new_page()
    await sign_in(interviewer, site)
    await expect(interviewer).to_have_url(re.compile(r"/dashboard$"))
    await interviewer.get_by_label("Title").fill("Pairing: LRU cache")
    await interviewer.get_by_label("Language").select_option("go")
    await interviewer.get_by_role("button", name="New session").click()
    card = interviewer.locator("li.session", has_text="Pairing: LRU cache")
    await expect(card).to_be_visible()
    await expect(card.locator(".badge", has_text="go")).to_be_visible()
    for role in ("interviewer", "candidate", "observer"):
        await expect(card.locator(f"tr[data-role={role}] input.link-url")).to_have_value(
            re.compile(r"/j/[\w-]{43}$")
        )
    copy = card.locator("tr[data-role=candidate] button.copy")
    await copy.click()
    await expect(copy).to_have_text(re.compile("Copied|Press Ctrl\\+C"))
    candidate_url = await card.locator("tr[data-role=candidate] input.link-url").input_value()

    candidate = await (await browser.new_context()).new_page()  # no account, no cookies
    await candidate.goto(candidate_url)
    await expect(candidate.get_by_test_id("join-role")).to_have_text("candidate")
    await candidate.get_by_label("Your name").fill("Grace Hopper")
    await candidate.get_by_role("button", name="Join session").click()
    await expect(candidate).to_have_url(re.compile(r"/s/[0-9a-f]{16}$"))
    await expect(candidate.get_by_test_id("my-role")).to_have_text("candidate")
    await expect(candidate.locator(".participants")).to_contain_text("Grace Hopper")
    await expect(candidate.locator(".topbar .nav")).to_have_count(0)  # no member navigation for candidates
    # Reopening the link goes straight back to the pad.
    await candidate.goto(candidate_url)
    await expect(candidate).to_have_url(re.compile(r"/s/[0-9a-f]{16}$"))

    await interviewer.reload()
    await expect(card.locator(".badge.state-live")).to_be_visible()
    await card.get_by_role("button", name="End session").click()
    await expect(card.locator(".badge.state-ended")).to_be_visible()


async def test_expired_and_revoked_links_show_clear_pages(browser: Browser, site: Site) -> None:
    created = await site.create_session(title="Old one", link_ttl_hours=1)
    page = await browser.new_page()
    candidate_url = created.join["candidate"]
    async with httpx.AsyncClient(base_url=site.server.url, headers=site.api) as client:
        await client.post(f"/api/v1/sessions/{created.id}/links/candidate/rotate")
    response = await page.goto(candidate_url)
    assert response is not None and response.status == 403
    await expect(page.get_by_role("heading")).to_have_text("Access refused")
    await expect(page.locator(".error-message")).to_contain_text("revoked")
    response = await page.goto(f"{site.server.url}/j/not-a-real-token")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading")).to_have_text("Not found")


async def test_interviewer_link_requires_sign_in_then_opens_the_pad(browser: Browser, site: Site) -> None:
    created = await site.create_session(title="Needs login")
    page = await (await browser.new_context()).new_page()
    await page.goto(created.join["interviewer"])
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.get_by_label("Email").fill(ADMIN_EMAIL)
    await page.get_by_label("Password").fill(ADMIN_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("button", name="Join as interviewer").click()  # joining is a POST
    await expect(page).to_have_url(re.compile(rf"/s/{created.id}$"))
    await expect(page.get_by_test_id("my-role")).to_have_text("interviewer")


async def test_wrong_password_is_refused_politely(browser: Browser, site: Site) -> None:
    page = await (await browser.new_context()).new_page()
    await sign_in(page, site, password="wrong wrong wrong")
    await expect(page.get_by_role("alert")).to_have_text("wrong email or password")
    await expect(page).to_have_url(re.compile(r"/login$"))


async def test_api_keys_are_shown_once_and_revocable(browser: Browser, site: Site) -> None:
    page = await (await browser.new_context()).new_page()
    await sign_in(page, site)
    await page.get_by_role("link", name="API keys").click()
    await page.get_by_label("Name").fill("Greenhouse")
    await page.get_by_role("button", name="Create key").click()
    key = await page.get_by_test_id("new-key").input_value()
    assert key.startswith("duet_")
    async with httpx.AsyncClient(base_url=site.server.url) as client:
        ok = await client.get("/api/v1/sessions", headers={"Authorization": f"Bearer {key}"})
        assert ok.status_code == 200
        await page.reload()  # the key is not shown again
        await expect(page.get_by_test_id("new-key")).to_have_count(0)
        row = page.locator("tr", has_text="Greenhouse")
        await row.get_by_role("button", name="Revoke").click()
        await expect(page.locator("tr", has_text="Greenhouse").locator(".badge")).to_have_text("revoked")
        refused = await client.get("/api/v1/sessions", headers={"Authorization": f"Bearer {key}"})
        assert refused.status_code == 401


async def test_admin_adds_a_reviewer_who_cannot_manage_members(browser: Browser, site: Site) -> None:
    admin = await (await browser.new_context()).new_page()
    await sign_in(admin, site)
    await admin.get_by_role("link", name="Members").click()
    form = admin.get_by_role("form", name="Add member")
    await form.get_by_label("Email").fill("rita@example.com")
    await form.get_by_label("Name").fill("Rita")
    await form.get_by_label("Role").select_option("reviewer")
    await form.get_by_label("Initial password").fill("reviewer password 1")
    await form.get_by_role("button", name="Add").click()
    await expect(admin.locator("tr[data-email='rita@example.com']")).to_contain_text("reviewer")

    reviewer = await (await browser.new_context()).new_page()
    await sign_in(reviewer, site, "rita@example.com", "reviewer password 1")
    await expect(reviewer).to_have_url(re.compile(r"/dashboard$"))
    await expect(reviewer.get_by_role("form", name="New session")).to_have_count(0)
    await expect(reviewer.get_by_role("link", name="Members")).to_have_count(0)
    response = await reviewer.goto(f"{site.server.url}/settings/members")
    assert response is not None and response.status == 403
