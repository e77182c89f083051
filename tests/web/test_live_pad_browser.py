"""The live pad's chat, interviewers' notes and signals, the recorded notice and ending the
session, in real Chromium against a real `duet serve`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import Browser, Page, expect

from tests.support.pad_site import Site, editor, guest_pad, interviewer_pad, running_site

pytestmark = [pytest.mark.anyio, pytest.mark.browser, pytest.mark.slow]

COPY = """() => {
    const data = new DataTransfer();
    document.querySelector(".cm-content").dispatchEvent(
        new ClipboardEvent("copy", { clipboardData: data, bubbles: true, cancelable: true }));
    return data.getData("text/plain");
}"""
PASTE = """(text) => {
    const data = new DataTransfer();
    data.setData("text/plain", text);
    document.querySelector(".cm-content").dispatchEvent(
        new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with running_site(tmp_path_factory.mktemp("live")) as running:
        yield running


async def say(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Chat message")
    await box.fill(text)
    await box.press("Enter")


async def test_chat_with_unread_count_and_notes_for_interviewers_only(browser: Browser, site: Site) -> None:
    session = await site.create_session("python")
    ada = await interviewer_pad(browser, site.server.url, session.id)
    grace = await guest_pad(browser, session.join["candidate"], "Grace")
    for page in (ada, grace):
        await expect(page.get_by_test_id("recorded")).to_contain_text("This session is recorded")
    await expect(ada.get_by_test_id("notes-pane")).to_be_visible()
    await expect(grace.get_by_test_id("notes-pane")).to_have_count(0)

    # Grace folds her chat away: what arrives meanwhile is counted
    toggle = grace.get_by_test_id("chat-toggle")
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-expanded", "false")
    await say(ada, "Hello Grace")
    await say(ada, "Ready when you are")
    await expect(ada.get_by_test_id("chat-messages")).to_contain_text("Ready when you are")
    await expect(grace.get_by_test_id("chat-unread")).to_have_text("2")
    # by keyboard: the toggle takes Enter, and opening the pane clears the count
    await toggle.focus()
    await grace.keyboard.press("Enter")
    await expect(toggle).to_have_attribute("aria-expanded", "true")
    await expect(grace.get_by_test_id("chat-unread")).to_be_hidden()
    await expect(grace.get_by_test_id("chat-messages")).to_contain_text("Hello Grace")
    await say(grace, "Ready!")
    message = ada.get_by_test_id("chat-messages").locator("li", has_text="Ready!")
    await expect(message.locator(".who")).to_have_text("Grace")
    await expect(message.locator("time")).to_have_count(1)
    await expect(ada.get_by_test_id("chat-unread")).to_be_hidden()  # her pane is open, in front
    # with the pane open but the window in the background, messages are counted too
    await grace.evaluate(
        "() => { document.hasFocus = () => false; window.dispatchEvent(new Event('blur')); }"
    )
    await say(ada, "still there?")
    await expect(grace.get_by_test_id("chat-unread")).to_have_text("1")
    await grace.evaluate("() => { delete document.hasFocus; window.dispatchEvent(new Event('focus')); }")
    await expect(grace.get_by_test_id("chat-unread")).to_be_hidden()

    # a private note, and the facts Grace's browser reports: only Ada's page shows them
    note = ada.get_by_role("textbox", name="Private note")
    await note.fill("strong on recursion")
    await note.press("Enter")
    notes = ada.get_by_test_id("notes")
    await expect(notes).to_contain_text("strong on recursion")
    await editor(grace).click()
    await grace.evaluate(PASTE, "print('from elsewhere')")
    await expect(notes).to_contain_text(
        "Grace (candidate) pasted 23 characters copied from outside the editor"
    )
    # copied in the editor, then pasted: said so
    await grace.keyboard.type("x = 1")
    await grace.keyboard.press("Control+a")
    copied = await grace.evaluate(COPY)  # what the editor put in the clipboard: its selection
    assert "x = 1" in copied
    await grace.evaluate(PASTE, copied)
    await expect(notes).to_contain_text(
        f"Grace (candidate) pasted {len(copied)} characters copied in the editor"
    )
    await grace.evaluate("() => window.dispatchEvent(new Event('blur'))")
    await expect(notes).to_contain_text("Grace (candidate) left the pad's window")
    await say(ada, "after the note")
    await expect(grace.get_by_test_id("chat-messages")).to_contain_text("after the note")
    for hidden in ("strong on recursion", "pasted", "left the pad"):
        await expect(grace.locator("body")).not_to_contain_text(hidden)

    # a reload brings the history back: the chat for both, the notes for Ada only
    await grace.reload()
    await expect(grace.get_by_test_id("chat-messages")).to_contain_text("after the note")
    await expect(grace.locator("body")).not_to_contain_text("strong on recursion")
    await ada.reload()
    await expect(ada.get_by_test_id("notes")).to_contain_text("strong on recursion")


async def test_an_interviewer_ends_the_session_after_confirming_and_everyone_sees_it(
    browser: Browser, site: Site
) -> None:
    session = await site.create_session("python")
    ada = await interviewer_pad(browser, site.server.url, session.id)
    grace = await guest_pad(browser, session.join["candidate"], "Grace")
    await expect(grace.get_by_test_id("end-session")).to_have_count(0)
    dialog = ada.get_by_test_id("end-dialog")
    await ada.get_by_test_id("end-session").click()
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Keep going").click()
    await expect(dialog).to_be_hidden()
    await expect(grace.get_by_test_id("session-state")).to_have_text("live")

    await ada.get_by_test_id("end-session").click()
    await dialog.get_by_role("button", name="End session").click()
    for page in (ada, grace):
        await expect(page.get_by_test_id("session-state")).to_have_text("ended")
        await expect(page.get_by_test_id("read-only")).to_be_visible()
        await expect(page.get_by_test_id("ended-notice")).to_be_visible()
        await expect(page.get_by_role("textbox", name="Chat message")).to_be_disabled()
        await expect(editor(page)).to_have_attribute("aria-readonly", "true")
    await expect(ada.get_by_test_id("end-session")).to_be_hidden()
    await expect(ada.get_by_role("textbox", name="Private note")).to_be_disabled()
