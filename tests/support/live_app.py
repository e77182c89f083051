"""A real uvicorn server in the test's event loop, built as `duet serve` builds its own.

The listening socket is bound before the server starts, so clients may connect at once: the
kernel queues them until the server accepts (no readiness polling, no sleeps).
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
import uvicorn

from server.settings import Settings
from server.web.app import create_app, server_options
from server.web.services import Services


def http_base(ws_base: str) -> str:
    """``ws://host:port`` (a LiveApp's base) -> ``http://host:port``."""
    return "http" + ws_base[len("ws") :]


@dataclass
class LiveApp:
    base: str
    services: Services

    def url(self, session_id: str, token: str) -> str:
        return f"{self.base}/sync/{session_id}?token={token}"


@asynccontextmanager
async def live_app(settings: Settings) -> AsyncIterator[LiveApp]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    app = create_app(settings)
    # the options of `duet serve`; the socket given to serve() below stands for host and port
    config = uvicorn.Config(app, **server_options(settings))
    server = uvicorn.Server(config)
    started = anyio.Event()

    original = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application):  # type: ignore[no-untyped-def]
        async with original(application) as state:
            started.set()
            yield state

    app.router.lifespan_context = lifespan
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(server.serve, [sock])
            with anyio.fail_after(30):
                await started.wait()
            try:
                yield LiveApp(f"ws://127.0.0.1:{port}", app.state.services)
            finally:  # also when the test fails: a server left running would hold the test for ever
                server.should_exit = True
    finally:
        sock.close()
