"""create_app(settings): the ASGI application. The only place the web framework is assembled."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from server import __version__
from server.settings import Settings
from server.web import problems
from server.web.api import audit, executions, health, recordings, scorecards
from server.web.api import invitations as invitations_api
from server.web.api import playback as playback_api
from server.web.api import sessions as sessions_api
from server.web.http_protocol import http_protocol
from server.web.middleware import AccessLog, BodyLimit, SecurityHeaders
from server.web.pages import account_settings, dashboard, join, login, pad
from server.web.pages import playback as playback_pages
from server.web.pages import results as result_pages
from server.web.pages import scorecards as scorecard_pages
from server.web.pages import take as take_pages
from server.web.services import Services, running_services
from server.web.ws.routes import LiveWebSocketProtocol

TEMPLATES = Path(__file__).with_name("templates")
#: Built bundles, CSS and images: ``static/`` at the top of the source tree.
STATIC = Path(__file__).resolve().parents[2] / "static"

API_DESCRIPTION = """
Drive Duet from an applicant-tracking system or a script.

Authenticate with an API key (`duet apikey create --email you@example.com`, or Settings -> API keys)
sent as `Authorization: Bearer <key>`. Errors are JSON problems:
`{"error": {"code": "...", "message": "...", "details": {...}}}`.
"""


def server_options(settings: Settings, *, forwarded_allow_ips: str = "127.0.0.1") -> dict[str, Any]:
    """Every uvicorn option Duet sets: ``duet serve`` and the tests' in-process servers build their
    ``uvicorn.Config(app, **server_options(settings))`` from this, so the two never differ.

    HTTP: Duet's protocol (``server/web/http_protocol.py``: head and body timeouts, connections
    per address, lingering closes); uvicorn keeps timing out idle keep-alive connections. Logging
    is Duet's (``server/cli.py``), and so is the access log (``server/web/middleware.py``: it hides
    tokens). ``forwarded_allow_ips``: the proxies trusted for X-Forwarded-* (``--forwarded-allow-ips``).

    Websockets: no per-message compression: sync and control messages are small, and deflate costs
    CPU on every frame and a zlib context per connection (the stock y-websocket server's `ws` does
    not compress either). Keepalive is the protocol's own (sync, control), not ws pings."""
    return {
        "host": settings.host,
        "port": settings.port,
        "lifespan": "on",
        "log_config": None,
        "access_log": False,
        "proxy_headers": True,
        "forwarded_allow_ips": forwarded_allow_ips,
        "http": http_protocol(settings),
        "timeout_keep_alive": settings.http_keepalive_seconds,
        "ws_max_size": 2 * settings.sync_max_message_bytes,
        "ws_per_message_deflate": False,
        "ws_ping_interval": None,
        # /sync and /sessions/{id}/events are taken over at the upgrade (server/web/ws/routes.py)
        "ws": LiveWebSocketProtocol,
    }


def create_app(settings: Settings, *, static_dir: Path = STATIC) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Services]]:
        async with running_services(settings) as services:
            app.state.services = services
            # everything loaded so far lives as long as the process: keep it out of the cyclic
            # collector's scans (a full collection over it paused the loop for ~100 ms)
            gc.freeze()
            # the live sockets find the services in the lifespan state uvicorn hands its protocols
            yield {"services": services}

    app = FastAPI(
        title="Duet API",
        version=__version__,
        description=API_DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.templates = Jinja2Templates(directory=TEMPLATES)
    problems.install(app)

    app.include_router(health.router)
    app.include_router(sessions_api.router)
    app.include_router(executions.router)
    app.include_router(scorecards.router)
    app.include_router(recordings.router)
    app.include_router(audit.router)
    app.include_router(invitations_api.router)
    app.include_router(playback_api.router)
    app.include_router(login.router)
    app.include_router(dashboard.router)
    app.include_router(join.router)
    app.include_router(pad.router)
    app.include_router(playback_pages.router)
    app.include_router(account_settings.router)
    app.include_router(scorecard_pages.router)
    app.include_router(take_pages.router)
    app.include_router(result_pages.router)
    static_dir.mkdir(parents=True, exist_ok=True)
    app.mount("/static", StaticFiles(directory=static_dir), name="static")

    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_request_bytes,
        per_path={recordings.IMPORT_PATH: settings.max_archive_bytes},
    )
    app.add_middleware(SecurityHeaders, settings=settings)
    app.add_middleware(AccessLog)
    return app
