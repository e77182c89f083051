"""The playback page in real headless Chromium against a real `duet serve`: a session two people
typed in is played, sought, opened at a ?t= link and compared between two moments; a candidate
cannot open it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import anyio
import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.support.pad_site import Site, editor, guest_pad, interviewer_pad, running_site, type_at_end

pytestmark = [pytest.mark.anyio, pytest.mark.browser]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with running_site(tmp_path_factory.mktemp("playback")) as running:
        yield running


def _clock(ms: int) -> str:
    seconds = max(0, ms // 1000)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


async def test_a_recorded_session_plays_seeks_links_and_diffs(browser: Browser, site: Site) -> None:
    session = await site.create_session("python")
    ada = await interviewer_pad(browser, site.server.url, session.id)
    grace = await guest_pad(browser, session.join["candidate"], "Grace")
    await type_at_end(grace, "first_line = 1\n")
    await expect(editor(ada)).to_contain_text("first_line")
    # a cursor move of her own (typing at the very end leaves her cursor's relative position
    # as it was, and the pad records a state that changed within 250 ms only at its next change)
    await anyio.sleep(0.5)
    await grace.keyboard.press("ArrowUp")
    await anyio.sleep(1.5)
    middle = time.time_ns() // 1_000_000  # the server's clock: the same host
    await anyio.sleep(1.5)
    await type_at_end(grace, "second_line = 2\n")
    await expect(editor(ada)).to_contain_text("second_line")
    await anyio.sleep(0.5)
    async with httpx.AsyncClient(base_url=site.server.url, headers=site.api) as client:
        assert (await client.post(f"/api/v1/sessions/{session.id}/end")).status_code == 200

    # the dashboard links finished sessions to their playback
    await ada.goto(f"{site.server.url}/dashboard")
    await ada.locator(f"#session-{session.id}").get_by_test_id("playback-link").click()
    root = ada.locator("#playback-root")
    await expect(root).to_have_attribute("data-ready", "true")
    await expect(ada.locator("#scorecard-root")).to_have_attribute("data-session", session.id)
    # markers: the joins and the end, on the bar and in the list
    await expect(ada.locator(".timeline-markers .marker[data-kind=join]")).to_have_count(2)
    await expect(ada.locator(".timeline-markers .marker[data-kind='session.ended']")).to_have_count(1)
    await expect(ada.locator("#marker-list")).to_contain_text("Grace joined")
    await ada.get_by_label("Key events only").check()  # joins are not key events; the end is
    await expect(ada.locator(".timeline-markers .marker[data-kind=join]")).to_have_count(0)
    await expect(ada.locator(".timeline-markers .marker[data-kind='session.ended']")).to_have_count(1)
    await ada.get_by_label("Key events only").uncheck()
    # at the start nothing is typed yet; the end key seeks to the end, where both lines are
    await expect(ada.get_by_test_id("active-file")).to_have_text("main.py")
    await expect(editor(ada)).not_to_contain_text("first_line")
    await ada.locator("#timeline").focus()
    await ada.keyboard.press("End")
    await expect(editor(ada)).to_contain_text("second_line")
    await expect(editor(ada)).to_contain_text("first_line")
    # play from the start at 32x: the typing arrives through the events, keystroke by keystroke
    await ada.keyboard.press("Home")
    await expect(editor(ada)).not_to_contain_text("first_line")
    await ada.keyboard.press("6")
    await expect(ada.locator("#speed")).to_have_value("32")
    await ada.get_by_role("button", name="Play").click()
    await expect(editor(ada)).to_contain_text("second_line", timeout=30_000)
    await expect(ada.get_by_role("button", name="Play")).to_be_visible(timeout=30_000)  # stopped at the end
    # clicking the bar near its start seeks there
    box = await ada.locator("#timeline").bounding_box()
    assert box is not None
    await ada.mouse.click(box["x"] + 2, box["y"] + box["height"] / 2)
    await expect(editor(ada)).not_to_contain_text("second_line")

    # a deep link opens at its moment: the first line is there, the second not yet
    await ada.goto(f"{site.server.url}/s/{session.id}/playback?t={middle}")
    await expect(root).to_have_attribute("data-ready", "true")
    await expect(root).to_have_attribute("data-t", str(middle))
    await expect(editor(ada)).to_contain_text("first_line")
    await expect(editor(ada)).not_to_contain_text("second_line")
    # Grace's cursor where it was, named, in the colour the timeline gives her (the pad's)
    await expect(ada.locator(".cm-ySelectionInfo", has_text="Grace")).to_have_count(1)
    same_colour = await ada.evaluate(
        """async () => {
          const timeline = await (await fetch(location.pathname + '/timeline')).json();
          const grace = timeline.participants.find((p) => p.name === 'Grace');
          const probe = document.createElement('span');
          probe.style.backgroundColor = grace.color;
          document.body.append(probe);
          const expected = getComputedStyle(probe).backgroundColor;
          probe.remove();
          const caret = [...document.querySelectorAll('.cm-ySelectionCaret')]
            .find((c) => c.textContent.includes('Grace'));
          return caret !== undefined && getComputedStyle(caret).backgroundColor === expected;
        }"""
    )
    assert same_colour
    # the diff between that moment and the end
    start = int(await ada.evaluate("Number(document.querySelector('#playback-root').dataset.t)"))
    assert start == middle
    timeline = await ada.evaluate("fetch(location.pathname + '/timeline').then(r => r.json())")
    await ada.locator("#diff-a").fill(_clock(middle - timeline["start_ms"]))
    await ada.locator("#diff-b").fill(_clock(timeline["end_ms"] - timeline["start_ms"] + 1000))
    await ada.get_by_role("button", name="Show diff").click()
    merge = ada.locator(".cm-mergeView")
    await expect(merge).to_be_visible()
    await expect(merge.locator(".cm-merge-a")).not_to_contain_text("second_line")
    await expect(merge.locator(".cm-merge-b")).to_contain_text("second_line")
    await expect(merge.locator(".cm-merge-b .cm-changedLine")).not_to_have_count(0)

    # the candidate's browser, cookie and all, gets a 403
    answer = await grace.goto(f"{site.server.url}/s/{session.id}/playback")
    assert answer is not None and answer.status == 403
    data = await grace.evaluate(
        f"fetch('/s/{session.id}/playback/timeline', {{headers: {{Accept: 'application/json'}}}})"
        ".then(r => r.status)"
    )
    assert data == 403
