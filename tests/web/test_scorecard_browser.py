"""The scorecard bundle in a real Chromium against a real `duet serve`: a reviewer rates, saves a
draft, submits, and only then sees the other reviewer's scorecard."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.support.duet_cli import ADMIN_PASSWORD, duet
from tests.support.pad_site import Site, running_site

pytestmark = [pytest.mark.anyio, pytest.mark.browser]

FULL = {"problem_solving": 4, "code_quality": 3, "communication": 3, "testing": 2}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with running_site(tmp_path_factory.mktemp("scorecards")) as running:
        for email in ("rita@example.com", "rob@example.com"):
            made = duet(
                running.var_dir, running.database_url, "user", "create", "--email", email,
                "--password", ADMIN_PASSWORD, "--role", "reviewer",
            )  # fmt: skip
            assert made.returncode == 0, made.stderr
        yield running


async def signed_in(browser: Browser, site: Site, email: str) -> Page:
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{site.server.url}/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(ADMIN_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator(".topbar .who")).to_be_visible()
    return page


async def test_a_reviewer_submits_then_sees_the_others(browser: Browser, site: Site) -> None:
    session = await site.create_session(title="Review me")
    async with httpx.AsyncClient(base_url=site.server.url, headers=site.api) as api:
        assert (await api.post(f"/api/v1/sessions/{session.id}/end")).status_code == 200
        # the admin submits first, with a note nobody may read before submitting their own
        await api.put(
            f"/api/v1/sessions/{session.id}/scorecards/mine", json={"ratings": FULL, "notes": "ADMIN-NOTE"}
        )
        assert (await api.post(f"/api/v1/sessions/{session.id}/scorecards/mine/submit")).status_code == 200

    rita = await signed_in(browser, site, "rita@example.com")
    await rita.goto(f"{site.server.url}/s/{session.id}/playback")
    root = rita.locator("#scorecard-root")
    await expect(root.get_by_role("heading", name="Your scorecard")).to_be_visible()
    await expect(root).to_contain_text("appear once you submit yours")
    await expect(root).not_to_contain_text("ADMIN-NOTE")
    for name in ("Problem solving", "Code quality", "Communication", "Testing"):
        await root.get_by_role("group", name=name).get_by_label("3 · Yes").check()
    await root.get_by_label("Notes").fill("Clear thinking, few tests.")
    await root.get_by_role("button", name="Save draft").click()
    await expect(root.get_by_role("status")).to_have_text("Draft saved.")

    # the draft survives a reload; then submitting shows both scorecards, read-only
    await rita.reload()
    await expect(root.get_by_label("Notes")).to_have_value("Clear thinking, few tests.")
    await expect(root.get_by_role("group", name="Testing").get_by_label("3 · Yes")).to_be_checked()
    rita.on("dialog", lambda dialog: dialog.accept())
    await root.get_by_role("button", name="Submit").click()
    await expect(root.get_by_role("heading", name="Your scorecard (submitted)")).to_be_visible()
    others = root.locator(".scorecard-others")
    await expect(others).to_contain_text("ADMIN-NOTE")
    await expect(others.locator("article")).to_have_count(2)
    await expect(root.get_by_label("Notes")).to_be_disabled()

    # another reviewer who has not submitted still sees nobody's
    rob = await signed_in(browser, site, "rob@example.com")
    await rob.goto(f"{site.server.url}/s/{session.id}/playback")
    await expect(rob.locator("#scorecard-root").get_by_role("button", name="Save draft")).to_be_visible()
    await expect(rob.locator("#scorecard-root")).not_to_contain_text("ADMIN-NOTE")
    await expect(rob.locator("#scorecard-root")).not_to_contain_text("Clear thinking")


async def test_a_candidate_cannot_reach_the_scorecard(browser: Browser, site: Site) -> None:
    session = await site.create_session(title="Guest try")
    candidate = await (await browser.new_context()).new_page()
    await candidate.goto(session.join["candidate"])
    await candidate.get_by_label("Your name").fill("Cara")
    await candidate.get_by_role("button", name="Join session").click()
    response = await candidate.request.get(f"{site.server.url}/s/{session.id}/scorecards/mine")
    assert response.status == 401
    page = await candidate.goto(f"{site.server.url}/s/{session.id}/playback")  # the scorecard's page
    assert page is not None and page.status == 403
    assert await candidate.locator("#scorecard-root").count() == 0
