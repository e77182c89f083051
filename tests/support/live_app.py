"""A real uvicorn server in the test's event loop, built as `duet serve` builds its own.

The listening socket is bound before the server starts, so clients may connect at once: the
kernel queues them until the server accepts (no readiness polling, no sleeps).
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

import anyio
import uvicorn
from fastapi import FastAPI

from server.settings import Settings
from server.web.app import create_app, server_options
from server.web.services import Services
from tests.support.provisioning import SessionFixture


def http_base(ws_base: str) -> str:
    """``ws://host:port`` (a LiveApp's base) -> ``http://host:port``."""
    return "http" + ws_base[len("ws") :]


@dataclass
class LiveApp:
    base: str
    services: Services

    def url(self, session_id: str, token: str) -> str:
        return f"{self.base}/sync/{session_id}?token={token}"

    def urls(self, people: SessionFixture) -> Callable[[str], str]:
        """name -> the sync URL of that participant of ``people``."""
        return lambda name: self.url(people.session_id, people.tokens[name])


@asynccontextmanager
async def live_app(settings: Settings, *, own_base_url: bool = False) -> AsyncIterator[LiveApp]:
    """``own_base_url``: the server's public base URL is its own address (links in mail work)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    if own_base_url:
        settings = replace(settings, public_base_url=f"http://127.0.0.1:{port}")
    app = create_app(settings)
    # the options of `duet serve`; the socket given to serve() below stands for host and port
    config = uvicorn.Config(app, **server_options(settings))
    server = uvicorn.Server(config)
    started = anyio.Event()

    original = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Mapping[str, object]]:
        async with original(application) as state:
            assert state is not None  # Duet's lifespan hands the services to uvicorn's protocols
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
