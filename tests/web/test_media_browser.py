"""Audio and video in the pad, in two headless Chromium instances with fake camera and
microphone, through a real `duet serve`: each sees and hears the other (decoded frames and audio
samples keep increasing), a reload gets video back, words for a blocked or missing camera, and
the recorded files (VP8, Opus) exported with the session, on the session clock."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import av
import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.support.chromium import CHROMIUM_ARGS, chromium_path
from tests.support.pad_site import Site, guest_pad, interviewer_pad, running_site

pytestmark = [pytest.mark.anyio, pytest.mark.browser, pytest.mark.slow]

#: Host candidates with real addresses (no mDNS names, which would need multicast), and media
#: that plays without a click.
MEDIA_ARGS = [
    *CHROMIUM_ARGS,
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with running_site(tmp_path_factory.mktemp("media")) as running:
        yield running


@asynccontextmanager
async def two_chromiums() -> AsyncIterator[tuple[Browser, Browser]]:
    async with async_playwright() as playwright:
        first = await playwright.chromium.launch(executable_path=chromium_path(), args=MEDIA_ARGS)
        second = await playwright.chromium.launch(executable_path=chromium_path(), args=MEDIA_ARGS)
        try:
            yield first, second
        finally:
            await first.close()
            await second.close()


async def tile_counts(page: Page, publisher_name: str) -> tuple[int, int]:
    counts = await page.evaluate(
        """(name) => {
            const tile = [...document.querySelectorAll('[data-testid=media-tile]')]
                .find((t) => t.querySelector('.media-name').textContent === name);
            return tile ? [Number(tile.dataset.frames ?? 0), Number(tile.dataset.audioSamples ?? 0)] : [0, 0];
        }""",
        publisher_name,
    )
    return int(counts[0]), int(counts[1])


async def receives(page: Page, publisher_name: str) -> None:
    """Frames decoded and audio samples received from ``publisher_name`` keep increasing."""
    before = await tile_counts(page, publisher_name)
    await page.wait_for_function(
        """([name, frames, samples]) => {
            const tile = [...document.querySelectorAll('[data-testid=media-tile]')]
                .find((t) => t.querySelector('.media-name').textContent === name);
            return tile && Number(tile.dataset.frames ?? 0) > frames + 30
                && Number(tile.dataset.audioSamples ?? 0) > samples + 48000;
        }""",
        arg=[publisher_name, *before],
        timeout=WAIT_MS,
    )


async def test_two_browsers_see_and_hear_each_other_and_are_recorded(site: Site) -> None:
    session = await site.create_session("python")
    async with two_chromiums() as (first, second):
        ada = await interviewer_pad(first, site.server.url, session.id)
        grace = await guest_pad(second, session.join["candidate"], "Grace")
        # a preview before joining
        await grace.get_by_test_id("media-preview-button").click()
        await grace.wait_for_function(
            "() => document.querySelector('[data-testid=media-preview]').videoWidth > 0", timeout=WAIT_MS
        )
        joined_at = int(time.time() * 1000)
        for page in (ada, grace):
            await page.get_by_test_id("media-join").click()
        await receives(grace, "admin")
        await receives(ada, "Grace")
        await expect(grace.get_by_test_id("media-mute")).to_be_visible()

        # Grace drops and comes back: video again within a few seconds (a keyframe is asked for)
        await grace.reload()
        await expect(grace.locator("#pad-root")).to_have_attribute("data-ready", "true")
        await grace.get_by_test_id("media-join").click()
        await receives(grace, "admin")
        await receives(ada, "Grace")
        await expect(ada.get_by_test_id("media-tile")).to_have_count(1)

        await ada.get_by_test_id("end-session").click()
        await ada.get_by_role("button", name="End session").last.click()
        await expect(ada.get_by_test_id("session-state")).to_have_text("ended")
        ended_at = int(time.time() * 1000)
        await expect(ada.get_by_test_id("media-tile")).to_have_count(0)
        await plays_in_step(ada, site.server.url, session.id)

    async with httpx.AsyncClient(base_url=site.server.url, headers=site.api) as client:
        exported = await client.get(f"/api/v1/sessions/{session.id}/recording/archive")
    assert exported.status_code == 200, exported.text
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        lines = [json.loads(line) for line in archive.read("events.jsonl").splitlines()]
        segments = [json.loads(e["text"]) for e in lines if e["kind"] == "media.segment"]
        # ada's camera, Grace's first and second connections: audio and video each
        assert sorted(s["kind"] for s in segments) == ["audio"] * 3 + ["video"] * 3
        for segment in segments:
            assert joined_at <= segment["start_ms"] <= ended_at
            assert str(segment["start_ms"]) in segment["file"]
            with av.open(io.BytesIO(archive.read(f"media/{segment['file']}")), "r") as container:
                stream = container.streams[0]
                assert (
                    stream.codec_context.name
                    == segment["codec"]
                    == {"audio": "opus", "video": "vp8"}[segment["kind"]]
                )
                assert container.duration is not None
                duration = container.duration / 1_000_000
                assert abs(duration - (segment["end_ms"] - segment["start_ms"]) / 1000) < 1.0
                assert sum(1 for _ in container.decode(stream)) > 0
        # the tracks still going at the end last until the session's end
        last = [s for s in segments if s["end_ms"] > ended_at - 5_000]
        assert len(last) == 4 and all(abs(s["end_ms"] - ended_at) < 1000 + 2000 for s in last)


KEEP_SOCKETS = """(() => {
    const Native = window.WebSocket;
    window.__sockets = [];
    window.WebSocket = class extends Native {
        constructor(...args) { super(...args); window.__sockets.push(this); }
    };
})();"""
DROP_CONTROL = "() => window.__sockets.filter((s) => s.url.includes('/events')).forEach((s) => s.close())"


async def test_tiles_survive_a_dropped_connection(site: Site) -> None:
    """The control channel drops (the network went away): the peer connections are rebuilt on
    its own, into the same tiles."""
    session = await site.create_session("python")
    async with two_chromiums() as (first, second):
        ada = await interviewer_pad(first, site.server.url, session.id)
        grace = await guest_pad(second, session.join["candidate"], "Grace")
        await grace.add_init_script(KEEP_SOCKETS)
        await grace.reload()
        await expect(grace.locator("#pad-root")).to_have_attribute("data-ready", "true")
        for page in (ada, grace):
            await page.get_by_test_id("media-join").click()
        await receives(grace, "admin")
        await receives(ada, "Grace")
        # Chromium's fake microphone beeps: the speaking indicator lights Grace's tile on Ada's page
        await ada.wait_for_function(
            "() => document.querySelector('[data-testid=media-tile]')?.dataset.speaking === 'true'",
            timeout=WAIT_MS,
        )
        mute = grace.get_by_test_id("media-mute")
        await mute.click()
        await expect(mute).to_have_text("Unmute")
        await expect(mute).to_have_attribute("aria-pressed", "true")
        await mute.click()
        await expect(mute).to_have_attribute("aria-pressed", "false")
        await grace.get_by_test_id("media-tile").evaluate("(tile) => { tile.dataset.original = 'yes'; }")
        await grace.evaluate(DROP_CONTROL)
        await expect(grace.get_by_test_id("media-status")).to_contain_text(
            "You are on camera", timeout=WAIT_MS
        )
        await receives(grace, "admin")
        await receives(ada, "Grace")
        tile = grace.get_by_test_id("media-tile")
        await expect(tile).to_have_count(1)
        await expect(tile).to_have_attribute("data-original", "yes")  # the same tile, not a new one
        await expect(tile).to_have_attribute("data-state", "live")


ALIGNED = """([file, t]) => {
    const media = document.querySelector(`[data-file="${file}"]`);
    const start = Number(media.dataset.start);
    const at = (Number(document.querySelector('#playback-root').dataset.t) - start) / 1000;
    return media.readyState >= 1 && Math.abs(media.currentTime - at) < t;
}"""


async def plays_in_step(page: Page, base: str, session_id: str) -> None:
    """The playback page places each recorded file on the session clock: sought, paused and
    playing, its time is the player's."""
    await page.wait_for_function(
        f"async () => (await (await fetch('/s/{session_id}/playback/media')).json()).length === 6",
        timeout=WAIT_MS,
    )
    segments = await page.evaluate(f"async () => (await fetch('/s/{session_id}/playback/media')).json()")
    video = next(s for s in segments if s["kind"] == "video")
    moment = video["start_ms"] + 2000
    await page.goto(f"{base}/s/{session_id}/playback?t={moment}")
    await expect(page.locator("#playback-root")).to_have_attribute("data-ready", "true")
    element = page.locator(f'[data-file="{video["file"]}"]')
    await expect(element).to_be_visible()
    await page.wait_for_function(ALIGNED, arg=[video["file"], 0.1], timeout=WAIT_MS)  # paused, sought
    await page.get_by_role("button", name="Play").click()
    await page.wait_for_function(
        '(file) => !document.querySelector(`[data-file="${file}"]`).paused',
        arg=video["file"],
        timeout=WAIT_MS,
    )
    await page.wait_for_function(ALIGNED, arg=[video["file"], 0.6], timeout=WAIT_MS)  # playing along
    await page.get_by_role("button", name="Pause").click()
    await page.get_by_role("button", name="Forward 1 s").click()
    await page.wait_for_function(ALIGNED, arg=[video["file"], 0.1], timeout=WAIT_MS)  # sought together


BLOCKED = """navigator.mediaDevices.getUserMedia = () =>
    Promise.reject(new DOMException('denied', 'NotAllowedError'));"""
MISSING = """navigator.mediaDevices.getUserMedia = () =>
    Promise.reject(new DOMException('none', 'NotFoundError'));"""


@pytest.mark.parametrize(("script", "words"), [(BLOCKED, "blocked"), (MISSING, "No camera or microphone")])
async def test_clear_words_without_a_camera_and_the_pad_goes_on(
    browser: Browser, site: Site, script: str, words: str
) -> None:
    session = await site.create_session("python")
    page = await guest_pad(browser, session.join["candidate"], "Grace")
    await page.add_init_script(script)
    await page.reload()
    await expect(page.locator("#pad-root")).to_have_attribute("data-ready", "true")
    await page.get_by_test_id("media-preview-button").click()
    await expect(page.get_by_test_id("media-problem")).to_contain_text(words)
    # joining without devices receives only; the pad itself is untouched
    await page.get_by_test_id("media-join").click()
    await expect(page.get_by_test_id("media-status")).to_contain_text("Receiving audio and video")
    await expect(page.get_by_test_id("chat-pane")).to_be_visible()


async def test_an_observer_watches_and_has_no_camera_controls(browser: Browser, site: Site) -> None:
    session = await site.create_session("python")
    page = await guest_pad(browser, session.join["observer"], "Olga")
    await expect(page.get_by_test_id("media-join")).to_have_text("Watch and listen")
    await expect(page.get_by_test_id("media-preview-button")).to_have_count(0)
    await page.get_by_test_id("media-join").click()
    await expect(page.get_by_test_id("media-status")).to_contain_text("Receiving audio and video")
    await expect(page.get_by_test_id("media-screen")).to_be_hidden()
