"""No token reaches a log: not the access log, not uvicorn's loggers, not picows' (which logs raw
upgrade requests at its level 9), not an exception's text. Driven through real servers (in-loop,
and `duet serve` with the logging its CLI configures), every record captured at every level."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import anyio
import httpx
import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from server.sessions.roles import Role
from server.settings import Settings
from server.web.redaction import install_log_redaction, redact_text
from server.web.services import running_services
from tests.support.http_wire import DEADLINE, connect, read_to_end
from tests.support.live_app import live_app
from tests.support.live_server import live_server

pytestmark = pytest.mark.anyio


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'duet.db'}"


@pytest.fixture
def redacted_logs() -> Iterator[None]:
    uninstall = install_log_redaction()  # what `duet serve` does (server/cli.py)
    yield
    uninstall()


async def interviewer_link_and_participant(settings: Settings) -> tuple[str, str, str]:
    """(session id, the interviewer join link's token, a candidate's participant token)."""
    async with running_services(settings) as svc:
        org = await svc.accounts.default_organization()
        session, issued = await svc.sessions.create(
            org_id=org.id, title="t", language="python", created_by=None
        )
        links = {i.link.role: i.token for i in issued}
        candidate = await svc.sessions.join(links[Role.CANDIDATE], display_name="bob")
        return session.id, links[Role.INTERVIEWER], candidate.token


async def test_no_token_reaches_any_log_record(
    settings: Settings, caplog: pytest.LogCaptureFixture, redacted_logs: None
) -> None:
    session_id, link, participant = await interviewer_link_and_participant(settings)
    caplog.set_level(1)  # every logger, every level: picows' 9 and uvicorn's TRACE (5) included
    for name in ("server.web.ws.picows", "uvicorn.error", "server.web.access"):
        caplog.set_level(1, logger=name)  # whatever another test's logging configuration left set
    async with live_app(settings) as app:
        http = app.base.replace("ws://", "http://")
        async with httpx.AsyncClient(base_url=http, timeout=DEADLINE) as client:
            # an interviewer's join link, signed out: to the sign-in page, the link inside next=
            redirect = await client.get(f"/j/{link}")
            assert (
                redirect.status_code == 303 and quote(f"/j/{link}", safe="") in redirect.headers["location"]
            )
            assert (await client.get(redirect.headers["location"])).status_code == 200  # encoded
            assert (await client.get(f"/login?next=/j/{link}")).status_code == 200  # not encoded
            assert (await client.get(f"/login?next={quote(quote(f'/j/{link}', safe=''))}")).status_code == 200
        # the live sockets (picows), and another path (uvicorn's websockets, which logs the query)
        async with ws_connect(
            f"{app.base}/sync/{session_id}?token={participant}", open_timeout=DEADLINE
        ) as ws:
            await ws.recv()
        with pytest.raises(InvalidStatus):
            async with ws_connect(f"{app.base}/elsewhere?token={participant}", open_timeout=DEADLINE):
                pass
        # malformed requests: a broken header line, and an upgrade picows refuses (no key)
        for request in (
            f"GET /j/{link}?token={participant} HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
            f"GET /sync/{session_id}?token={participant} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
        ):
            async with await connect(app.base) as stream:
                await stream.send(request.encode())
                assert (await read_to_end(stream)).startswith(b"HTTP/1.1 400")

    messages = [record.getMessage() for record in caplog.records]
    for secret in (link, participant):
        assert not any(secret in message for message in messages)
        assert secret not in caplog.text  # formatted, exception texts included
    # the lines that would have carried them are there, redacted
    assert any("next=…" in m for m in messages)  # the access log
    assert any("/j/…" in m for m in messages)
    assert any(r.name == "uvicorn.error" and "/elsewhere?token=…" in r.getMessage() for r in caplog.records)
    assert any(
        r.name.startswith("server.web.ws.picows") and "token=…" in r.getMessage() for r in caplog.records
    )


def test_exception_texts_and_arguments_are_redacted(
    redacted_logs: None, caplog: pytest.LogCaptureFixture
) -> None:
    secret = secrets.token_urlsafe(32)
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("anything.at.all")
    try:
        raise ValueError(f"cannot route /j/{secret}")
    except ValueError:
        log.exception("failed on %s", f"/sync/x?token={secret}")
    log.debug("%r", f"/login?next=%2Fj%2F{secret}".encode())  # bytes, formatted with %r
    assert secret not in caplog.text
    assert "token=…" in caplog.text and "cannot route /j/…" in caplog.text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("GET /j/abc-DEF_123 200", "GET /j/… 200"),
        ("GET /j/abc/ws?x=1", "GET /j/…/ws?x=1"),
        ("/sync/s1?token=abc&other=1", "/sync/s1?token=…&other=1"),
        ("/login?next=%2Fj%2Fabc", "/login?next=…"),
        ("/login?next=%252Fj%252Fabc&x=1", "/login?next=…&x=1"),  # encoded twice
        ("/login?next=/j/abc", "/login?next=…"),
        ("/login?next=%2Fs%2F1%3Ftoken%3Dabc", "/login?next=…"),  # a token inside next=
        ("/login?next=%2Fdashboard", "/login?next=%2Fdashboard"),  # nothing secret: kept
        ("form csrf_token=abc", "form csrf_token=…"),
        ("nothing to hide", "nothing to hide"),
    ],
)
def test_redact_text(text: str, shown: str) -> None:
    assert redact_text(text) == shown


def test_duet_serve_logs_no_token(tmp_path: Path) -> None:
    secret = secrets.token_urlsafe(32)
    database_url = f"sqlite:///{tmp_path / 'duet.db'}"
    with live_server(tmp_path, database_url, extra_env={"DUET_LOG_LEVEL": "DEBUG"}) as server:
        for target in (
            f"/login?next={quote(f'/j/{secret}', safe='')}",
            f"/login?next=/j/{secret}",
            f"/j/{secret}",
        ):
            assert httpx.get(server.url + target, timeout=DEADLINE).status_code in (200, 404)

        async def upgrade_with_a_token() -> None:
            with pytest.raises(InvalidStatus):
                async with ws_connect(f"{server.ws_url}/elsewhere?token={secret}", open_timeout=DEADLINE):
                    pass

        anyio.run(upgrade_with_a_token)
    log = server.log()
    assert "next=…" in log and "/elsewhere?token=…" in log, log[-2000:]
    assert secret not in log
