"""The live websockets, routed ahead of the middleware stack (see ``server.web.ws.socket``).

``WebSocketRoutes`` is the outermost middleware: a websocket whose path matches one of its routes
goes straight to its handler with the server's own ``receive``/``send``; everything else (HTTP,
other websockets) carries on through the app. Each socket gets one access-log line when it ends,
with its token redacted.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from server.web.middleware import redact
from server.web.services import Services
from server.web.ws.socket import AsgiSocket

logger = logging.getLogger("server.web.access")

Handler = Callable[[Services, AsgiSocket, str], Awaitable[None]]


class WebSocketRoutes:
    def __init__(self, app: ASGIApp, routes: dict[str, Handler]) -> None:
        """``routes``: path pattern with one ``{session_id}`` segment -> handler."""
        self.app = app
        self._routes = [
            (re.compile("^" + re.escape(pattern).replace(r"\{session_id\}", "([^/]+)") + "$"), handler)
            for pattern, handler in routes.items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            for pattern, handler in self._routes:
                match = pattern.match(scope["path"])
                if match is not None:
                    await self._serve(handler, match.group(1), scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _serve(
        self, handler: Handler, session_id: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        started = time.perf_counter()
        socket = AsgiSocket(scope, receive, send)
        try:
            await handler(scope["app"].state.services, socket, session_id)
        finally:
            logger.info(
                "WS %s %s %.1fms",
                redact(scope["path"], scope.get("query_string", b"").decode("latin-1")),
                socket.close_code or 1000,
                (time.perf_counter() - started) * 1000,
            )
