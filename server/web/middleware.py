"""ASGI middleware: request body cap, security headers, and an access log that hides secrets."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import PayloadTooLarge
from server.settings import Settings
from server.web.redaction import redact

logger = logging.getLogger("server.web.access")

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # Join links carry their token in the path: never leak it to another site through Referer.
    (b"referrer-policy", b"no-referrer"),
]


def websocket_origin(base_url: str) -> str:
    """The ws:// (or wss://, for https) origin of ``base_url``: where the pad's websockets go."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").encode("idna").decode("ascii")
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{'wss' if parts.scheme == 'https' else 'ws'}://{host}{port}"


def content_security_policy(settings: Settings) -> str:
    """Scripts, styles, images and connections from this site only. ``connect-src`` names the
    site's websocket origin besides 'self': browsers that predate CSP 3 do not count ws:// and
    wss:// as 'self'; naming this one origin (not any ``ws:``/``wss:`` host) still lets no script
    open a socket to another site."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        f"connect-src 'self' {websocket_origin(settings.effective_base_url)}; media-src 'self' blob:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with a 413 problem, whether the size is announced
    (Content-Length) or only found out while the body streams in (chunked).

    The 413 says ``Connection: close``: reading on only to throw the rest away would let one
    request hold its connection for as long as it uploads. The HTTP protocol
    (``server/web/http_protocol.py``) ends such a connection with a lingering close, so a client
    still uploading reads the 413 instead of a connection reset. A body found too large while the
    app reads it is answered here, whatever the app made of the error (FastAPI turns any error
    while it parses a body into a 400)."""

    def __init__(self, app: ASGIApp, max_bytes: int, per_path: Mapping[str, int] | None = None) -> None:
        """``per_path``: a cap of its own for a path that takes larger bodies (archive imports)."""
        self.app = app
        self.max_bytes = max_bytes
        self.per_path = dict(per_path or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"], self.max_bytes)
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await self._too_large(limit, scope, receive, send)
                return
        seen = 0
        over = False  # the body went over the cap while the app read it
        started = False  # the app's response has started

        async def limited() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    raise PayloadTooLarge(self._message(limit))
            return message

        async def answer(message: Message) -> None:
            nonlocal started
            if over and not started:
                return  # the 413 below answers instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, answer)
        except PayloadTooLarge:
            if not over or started:
                raise
        if over and not started:
            await self._too_large(limit, scope, receive, send)

    @staticmethod
    def _message(limit: int) -> str:
        return f"request body is larger than {limit} bytes"

    async def _too_large(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        too_large = PayloadTooLarge(self._message(limit))
        response = JSONResponse(
            {"error": {"code": too_large.code, "message": too_large.message, "details": {}}},
            status_code=too_large.status,
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.headers = [
            *_SECURITY_HEADERS,
            (b"content-security-policy", content_security_policy(settings).encode("latin-1")),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in self.headers if h[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            logger.info(
                "%s %s %s %.1fms",
                scope["method"],
                redact(scope["path"], scope.get("query_string", b"").decode("latin-1")),
                status,
                (time.perf_counter() - started) * 1000,
            )
