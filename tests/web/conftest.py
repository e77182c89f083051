"""Fixtures of the browser tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser

from tests.support.chromium import chromium


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A fresh headless Chromium per test."""
    async with chromium() as instance:
        yield instance
