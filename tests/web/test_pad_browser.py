"""The pad in real headless Chromium against a real `duet serve`: two people editing at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from playwright.async_api import Browser, expect

from tests.support.live_server import free_port, live_server
from tests.support.pad_site import (
    Site,
    doc_text,
    editor,
    guest_pad,
    interviewer_pad,
    running_site,
    type_at_end,
)

pytestmark = [pytest.mark.anyio, pytest.mark.browser]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with running_site(tmp_path_factory.mktemp("pad")) as running:
        yield running


async def test_two_people_type_at_once_and_see_text_and_cursors(browser: Browser, site: Site) -> None:
    session = await site.create_session("go")
    ada = await interviewer_pad(browser, site.server.url, session.id)
    grace = await guest_pad(browser, session.join["candidate"], "Grace")
    await expect(ada.get_by_test_id("active-file")).to_have_text("main.go")
    await expect(ada.locator("#connection")).to_have_attribute("data-state", "connected")

    await type_at_end(ada, "package main\n")
    await expect(editor(grace)).to_contain_text("package main")
    # both type on the same line at the same time
    async with anyio.create_task_group() as tg:
        tg.start_soon(type_at_end, ada, "// ada was here ")
        tg.start_soon(type_at_end, grace, "// grace too ")
    for page in (ada, grace):
        await expect(editor(page)).to_contain_text("ada was here")
        await expect(editor(page)).to_contain_text("grace too")
    assert await doc_text(ada) == await doc_text(grace)
    # named remote cursors, names as the server knows them
    await expect(grace.locator(".cm-ySelectionInfo", has_text="admin")).to_have_count(1)
    await expect(ada.locator(".cm-ySelectionInfo", has_text="Grace")).to_have_count(1)
    await expect(ada.locator("#participant-list")).to_contain_text("Grace")
    await expect(grace.locator("#participant-list")).to_contain_text("admin")


async def test_files_and_languages_propagate(browser: Browser, site: Site) -> None:
    session = await site.create_session("go")
    ada = await interviewer_pad(browser, site.server.url, session.id)
    grace = await guest_pad(browser, session.join["candidate"], "Grace")

    await ada.get_by_label("New file name").fill("solution.py")
    await ada.get_by_role("button", name="Add").click()
    await expect(ada.get_by_test_id("active-file")).to_have_text("solution.py")
    await expect(ada.locator("#language-select")).to_have_value("python")
    await type_at_end(ada, "def answer():\n    return 42")
    await expect(ada.locator(".tok-keyword", has_text="def")).to_have_count(1)

    await grace.locator("#file-list button", has_text="solution.py").click()
    await expect(editor(grace)).to_contain_text("return 42")
    await expect(grace.locator(".tok-keyword", has_text="def")).to_have_count(1)
    # switching the language changes highlighting for everyone
    await ada.locator("#language-select").select_option("plaintext")
    await expect(grace.locator("#language-select")).to_have_value("plaintext")
    await expect(grace.locator(".tok-keyword")).to_have_count(0)
    # bad names are refused with a reason
    await ada.get_by_label("New file name").fill("../etc/passwd")
    await ada.get_by_role("button", name="Add").click()
    await expect(ada.locator("#file-error")).to_contain_text("'..'")
    # rename and delete
    await ada.get_by_label("File name", exact=True).fill("answer.py")
    await ada.get_by_role("button", name="Rename").click()
    await expect(grace.locator("#file-list button", has_text="answer.py")).to_have_count(1)
    await expect(grace.locator("#file-list button", has_text="solution.py")).to_have_count(0)
    await expect(grace.get_by_test_id("active-file")).to_have_text(re.compile("answer.py|main.go"))
    ada.once("dialog", lambda dialog: dialog.accept())
    await ada.locator("#file-list button", has_text="answer.py").click()
    await ada.get_by_role("button", name="Delete").click()
    await expect(grace.locator("#file-list button")).to_have_count(1)
    await expect(grace.get_by_test_id("active-file")).to_have_text("main.go")


async def test_an_observer_cannot_type(browser: Browser, site: Site) -> None:
    session = await site.create_session("python")
    ada = await interviewer_pad(browser, site.server.url, session.id)
    olga = await guest_pad(browser, session.join["observer"], "Olga")
    await expect(olga.get_by_test_id("read-only")).to_be_visible()
    await expect(olga.get_by_label("New file name")).to_be_disabled()
    await editor(olga).click()
    await olga.keyboard.type("observer text")
    await type_at_end(ada, "x = 1")
    await expect(editor(olga)).to_contain_text("x = 1")
    assert "observer text" not in await doc_text(ada)
    assert "observer text" not in await doc_text(olga)


async def test_offline_edits_merge_when_the_server_returns(browser: Browser, tmp_path: Path) -> None:
    port = free_port()
    with running_site(tmp_path, port=port) as site:
        session = await site.create_session("python")
        ada = await interviewer_pad(browser, site.server.url, session.id)
        grace = await guest_pad(browser, session.join["candidate"], "Grace")
        await type_at_end(ada, "online = 1\n")
        await expect(editor(grace)).to_contain_text("online = 1")
        site.server.kill()
        await expect(grace.locator("#connection")).to_have_attribute(
            "data-state", re.compile("reconnecting|offline")
        )
        await type_at_end(grace, "offline = 2")  # typing is never blocked while offline
        await expect(editor(grace)).to_contain_text("offline = 2")
    with live_server(tmp_path, site.database_url, port=port):
        await expect(grace.locator("#connection")).to_have_attribute(
            "data-state", "connected", timeout=20_000
        )
        await expect(editor(ada)).to_contain_text("offline = 2", timeout=20_000)
        await expect(editor(ada)).to_contain_text("online = 1")
