"""Waiting for a condition only visible through a request (a row's status over the REST API):
ask again until it holds, failing at a generous deadline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

T = TypeVar("T")


async def until(read: Callable[[], Awaitable[T]], holds: Callable[[T], bool], *, seconds: float = 60) -> T:
    """``read()`` again (every 50 ms) until ``holds`` its value; returns that value."""
    with anyio.fail_after(seconds):
        while not holds(value := await read()):  # noqa: ASYNC110 - the condition lives behind an API
            await anyio.sleep(0.05)
    return value
