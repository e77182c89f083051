"""The Content-Security-Policy a real server sends: scripts may connect to this site only, its
websockets included (the exact ws:// or wss:// origin of the public base URL, no other host)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from server.settings import Settings
from tests.support.http_wire import DEADLINE
from tests.support.live_app import live_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'duet.db'}"


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in policy.split(";"):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize(
    ("public_base_url", "origin"),
    [
        ("https://duet.example.com", "wss://duet.example.com"),
        ("https://duet.example.com:8443/interviews/", "wss://duet.example.com:8443"),  # no path
        ("http://10.0.0.5:8000", "ws://10.0.0.5:8000"),
        ("http://[2001:db8::1]:8000", "ws://[2001:db8::1]:8000"),
        ("", "ws://127.0.0.1:8000"),  # unset: where `duet serve` listens
    ],
)
async def test_connect_src_is_this_site_and_its_websocket_origin_only(
    settings: Settings, public_base_url: str, origin: str
) -> None:
    settings = replace(settings, public_base_url=public_base_url)
    async with (
        live_app(settings) as app,
        httpx.AsyncClient(base_url=app.base.replace("ws://", "http://"), timeout=DEADLINE) as client,
    ):
        for path in ("/login", "/api/v1/sessions"):  # a page, and an API error
            policy = directives((await client.get(path)).headers["content-security-policy"])
            assert policy["connect-src"] == ["'self'", origin]
            assert policy["default-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
