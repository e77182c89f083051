"""Headless Chromium (Debian's package) driven by Playwright; never a downloaded browser."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from playwright.async_api import Browser, async_playwright

from tests.support.prerequisites import missing

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        missing("Debian's chromium is not installed (apt-get install chromium)")
    assert path is not None
    return path


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    executable = chromium_path()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
