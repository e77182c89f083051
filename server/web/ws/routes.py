"""The live websockets, taken over from uvicorn at the upgrade (see ``server.web.ws.socket``).

uvicorn hands every websocket upgrade request to the protocol class its ``ws`` option names.
``LiveWebSocketProtocol`` is that class: a request for one of the live routes (``/sync/{id}``,
``/sessions/{id}/events``) becomes a picows connection whose handler runs as a task uvicorn knows
about (it waits for it at shutdown); any other websocket goes on to uvicorn's own implementation
and the ASGI app. Each live socket gets one access-log line when it ends, with its token
redacted.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from picows import WSUpgradeRequest
from picows.picows import (  # type: ignore[attr-defined]  # the server protocol ws_create_server uses
    WSAutoPingStrategy,
    WSProtocol,
)
from uvicorn.config import Config
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState

from server.channels.outbox import CloseRequest
from server.channels.sockets import Channel, Holder
from server.errors import DuetError, Gone
from server.sessions import Credential
from server.sessions.roles import can_edit
from server.settings import Settings
from server.web.redaction import redact
from server.web.services import Services
from server.web.ws.control import control_endpoint
from server.web.ws.socket import LiveSocket
from server.web.ws.sync import sync_endpoint

logger = logging.getLogger("server.web.access")
picows_logger = logging.getLogger("server.web.ws.picows")

#: Serves one socket whose participant token has been checked (the credential it stands for).
Handler = Callable[[Services, LiveSocket, Credential], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Route:
    handler: Handler
    channel: Channel

    def max_message(self, settings: Settings) -> int:
        """The largest message the socket takes: larger ones close it (1009) as they arrive."""
        if self.channel is Channel.SYNC:
            return settings.sync_max_message_bytes
        return settings.control_max_message_bytes


#: path pattern with one ``{session_id}`` segment -> route
ROUTES: dict[str, Route] = {
    "/sync/{session_id}": Route(sync_endpoint, Channel.SYNC),
    "/sessions/{session_id}/events": Route(control_endpoint, Channel.CONTROL),
}
#: The upgrade request must be complete this soon after the connection is handed over.
HANDSHAKE_SECONDS = 10.0
#: picows grows it (doubling) for larger messages; small keeps an idle connection small
READ_BUFFER = 4 * 1024
#: An expiry further away than this is not timed (the event loop's timers take any float, but a
#: token valid for years has no use for one).
MAX_TIMER_SECONDS = 30 * 24 * 3600.0

_PATTERNS = [
    (re.compile("^" + re.escape(pattern).replace(r"\{session_id\}", "([^/]+)") + "$"), found)
    for pattern, found in ROUTES.items()
]


def route(path: str) -> tuple[Route, str] | None:
    for pattern, found in _PATTERNS:
        match = pattern.match(path)
        if match is not None:
            return found, match.group(1)
    return None


def _target(request_head: bytes) -> str:
    """The request target of ``GET /path?query HTTP/1.1`` (uvicorn re-serializes the head)."""
    line = request_head.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    return parts[1].decode("latin-1") if len(parts) == 3 else ""


class LiveWebSocketProtocol(asyncio.Protocol):
    """uvicorn's ``ws`` protocol class (``server_options`` in ``server.web.app``)."""

    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any]) -> None:
        self._config = config
        self._server_state = server_state
        self._app_state = app_state
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        """The upgrade request, whole (uvicorn parsed it and hands it on at once)."""
        transport = self._transport
        assert transport is not None
        path, _, query = _target(data).partition("?")
        found = route(path)
        if found is None:
            fallback = WebSocketsSansIOProtocol(
                config=self._config, server_state=self._server_state, app_state=self._app_state
            )
            fallback.connection_made(transport)
            transport.set_protocol(fallback)
            fallback.data_received(data)
            return
        live_route, session_id = found
        services: Services = self._app_state["services"]
        max_message = live_route.max_message(services.settings)

        def listener(request: WSUpgradeRequest) -> LiveSocket:
            return LiveSocket(
                path,
                query,
                max_message=max_message,
                on_open=lambda socket: self._start(live_route, services, socket, session_id),
            )

        protocol = WSProtocol(
            None,  # host and port: client side only
            None,  # path: client side only
            False,  # server side
            listener,
            picows_logger,
            True,  # an exception in a callback closes that connection (1011), never the server
            HANDSHAKE_SECONDS,
            False,  # no pings from the server: the sync and console protocols keep alive themselves
            10.0,
            10.0,
            WSAutoPingStrategy.PING_WHEN_IDLE,
            True,  # answer pings
            max_message,
            None,
            READ_BUFFER,
        )
        protocol.connection_made(transport)
        transport.set_protocol(protocol)
        view = memoryview(data)
        while view:
            buffer = protocol.get_buffer(len(view))
            size = min(len(buffer), len(view))
            buffer[:size] = view[:size]
            protocol.buffer_updated(size)
            view = view[size:]

    def _start(self, live_route: Route, services: Services, socket: LiveSocket, session_id: str) -> None:
        """Run the socket's handler as a task uvicorn tracks (it waits for its tasks when it
        stops, after asking every connection to ``shutdown``)."""
        connections: set[Any] = self._server_state.connections
        tasks: set[asyncio.Task[None]] = self._server_state.tasks
        task = asyncio.get_running_loop().create_task(_serve(live_route, services, socket, session_id))
        connections.add(socket)
        tasks.add(task)

        def done(task: asyncio.Task[None]) -> None:
            connections.discard(socket)
            tasks.discard(task)

        task.add_done_callback(done)


async def _serve(live_route: Route, services: Services, socket: LiveSocket, session_id: str) -> None:
    started = time.perf_counter()
    try:
        checked_at = time.monotonic()
        credential = await _authenticate(services, socket, session_id)
        if credential is not None:
            await _admitted(live_route, services, socket, credential, checked_at)
    except Exception:  # a bug in one handler ends that socket (1011), never the server
        logger.exception("live socket handler failed")
        await socket.close(1011, "internal error")
    finally:
        await socket.close(1000, "")
        logger.info(
            "WS %s %s %.1fms",
            redact(socket.path, socket.query_string),
            socket.close_code or 1000,
            (time.perf_counter() - started) * 1000,
        )


async def _authenticate(services: Services, socket: LiveSocket, session_id: str) -> Credential | None:
    """The participant the socket's token stands for; a refused one is closed with 4401 (unknown
    or expired) or 4403 (revoked) before anything else is sent."""
    try:
        credential = await services.sessions.authenticate(session_id, socket.query("token"))
        if credential.session.read_only and await services.audit.recording_deletion(session_id):
            raise Gone("this session's recording was deleted")
    except DuetError as exc:
        await socket.close(exc.close_code, exc.message)
        return None
    return credential


async def _admitted(
    live_route: Route, services: Services, socket: LiveSocket, credential: Credential, checked_at: float
) -> None:
    """Serve the socket counted against its holder's quotas, open only as long as its access:
    revoked access closes it (``server.channels.revocation``), and so does the token's expiry."""
    participant, session = credential.participant, credential.session
    holder = Holder(
        session_id=session.id,
        participant_id=participant.id,
        role=participant.role.value,
        writable=can_edit(participant.role, session.state),
        link_id=participant.link_id,
        user_id=participant.user_id,
        login_id=credential.login_id,
    )
    try:
        ticket = services.sockets.admit(live_route.channel, holder, socket.start_close, checked_at=checked_at)
    except CloseRequest as refused:
        await socket.close(refused.code, refused.reason)
        return
    remaining = (credential.expires_at - datetime.now(UTC)).total_seconds()
    expiry = asyncio.get_running_loop().call_later(
        max(0.0, min(remaining, MAX_TIMER_SECONDS)),
        socket.start_close,
        4401,
        "your access to this session expired",
    )
    try:
        await live_route.handler(services, socket, credential)
    finally:
        expiry.cancel()
        services.sockets.release(ticket)
