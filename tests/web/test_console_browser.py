"""The run console and terminal in the pad, in real Chromium against a real `duet serve`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.support.pad_site import Site, guest_pad, interviewer_pad, running_site, type_at_end

pytestmark = [pytest.mark.anyio, pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with running_site(tmp_path_factory.mktemp("console"), extra_env={"DUET_SANDBOX": "bwrap"}) as running:
        yield running


def console(page: Page) -> Locator:
    return page.get_by_test_id("console-output")


async def test_a_run_is_shared_with_streamed_output_and_stdin(browser: Browser, site: Site) -> None:
    session = await site.create_session("python")
    ada = await interviewer_pad(browser, site.server.url, session.id)
    grace = await guest_pad(browser, session.join["candidate"], "Grace")
    olga = await guest_pad(browser, session.join["observer"], "Olga")
    await expect(olga.get_by_test_id("run")).to_be_disabled()

    await type_at_end(grace, "name = input('who? ')\nprint('hello', name)\n")
    await expect(ada.locator(".cm-content")).to_contain_text("print('hello', name)")
    await grace.get_by_test_id("run").click()
    for page in (ada, grace, olga):
        await expect(console(page)).to_contain_text("Grace ran main.py (python)")
    await expect(console(olga)).to_contain_text("who?")
    await grace.get_by_label("Input for the running program").fill("Ada")
    await grace.get_by_label("Input for the running program").press("Enter")
    for page in (ada, grace, olga):
        await expect(console(page)).to_contain_text("hello Ada")
        await expect(page.get_by_test_id("run-status")).to_contain_text("finished")


async def test_stop_and_limits_show_their_status(browser: Browser, site: Site) -> None:
    session = await site.create_session("python")
    ada = await interviewer_pad(browser, site.server.url, session.id)
    await type_at_end(ada, "print('spinning', flush=True)\nwhile True: pass\n")
    await ada.get_by_test_id("run").click()
    await expect(console(ada)).to_contain_text("spinning")
    await ada.get_by_test_id("stop").click()
    await expect(ada.get_by_test_id("run-status")).to_contain_text("stopped")
    await expect(ada.get_by_test_id("run")).to_be_enabled()


async def test_run_tests_lists_each_test(browser: Browser, site: Site) -> None:
    session = await site.create_session("python")
    ada = await interviewer_pad(browser, site.server.url, session.id)
    await type_at_end(ada, "def double(x): return x * 2\n")  # one-liners: the editor auto-indents
    await ada.get_by_label("New file name").fill("test_main.py")
    await ada.get_by_role("button", name="Add").click()
    await type_at_end(
        ada,
        "from main import double\n"
        "def test_two(): assert double(2) == 4\n"
        "def test_three(): assert double(3) == 7\n",
    )
    await ada.locator("#file-list button", has_text="main.py").first.click()
    await ada.get_by_test_id("run-tests").click()
    await expect(console(ada)).to_contain_text("1/2 tests passed")
    await expect(console(ada)).to_contain_text("✓ test_two")
    await expect(console(ada)).to_contain_text("✗ test_three")


async def test_shared_python_terminal(browser: Browser, site: Site) -> None:
    session = await site.create_session("python")
    ada = await interviewer_pad(browser, site.server.url, session.id)
    grace = await guest_pad(browser, session.join["candidate"], "Grace")
    for page in (ada, grace):
        await page.get_by_role("tab", name="Terminal").click()
    await ada.get_by_role("button", name="Open Python").click()
    await expect(grace.get_by_test_id("terminal")).to_contain_text(">>>")
    await grace.get_by_test_id("terminal").click()
    await grace.keyboard.type("print(6 * 7)\n")
    await expect(ada.get_by_test_id("terminal")).to_contain_text("42")
    await ada.get_by_role("button", name="Close terminal").click()
    await expect(grace.get_by_test_id("terminal")).to_contain_text("[terminal closed]")
