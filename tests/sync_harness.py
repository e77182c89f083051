"""A real uvicorn server in the test's event loop, plus sessions and participant tokens.

The listening socket is bound before the server starts, so clients may connect at once: the
kernel queues them until the server accepts (no readiness polling, no sleeps).
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
import uvicorn

from server.accounts.models import OrgRole
from server.sessions.models import Session
from server.sessions.roles import Role
from server.settings import Settings
from server.web.app import create_app, server_options
from server.web.services import Services, running_services


@dataclass
class SessionFixture:
    session_id: str
    org_id: str
    tokens: dict[str, str] = field(default_factory=dict)  # name -> participant token


async def provision(settings: Settings, language: str = "python", **people: Role) -> SessionFixture:
    """Create a session and a participant per ``name=role`` (members for interviewers)."""
    async with running_services(settings) as svc:
        org = await svc.accounts.default_organization()
        session, issued = await svc.sessions.create(
            org_id=org.id, title="t", language=language, created_by=None
        )
        links = {i.link.role: i.token for i in issued}
        fixture = SessionFixture(session.id, org.id)
        for name, role in people.items():
            if role is Role.INTERVIEWER:
                fixture.tokens[name] = await member_token(svc, session, name)
            else:
                fixture.tokens[name] = (await svc.sessions.join(links[role], display_name=name)).token
        return fixture


async def member_token(svc: Services, session: Session, name: str) -> str:
    """An interviewer's pad token as their page gets it: a member (admin) ``name``, signed in,
    who entered the session; the token lasts as long as that sign-in."""
    email, password = f"{name}@example.com", "long enough password"
    await svc.accounts.create_user(org_id=session.org_id, email=email, password=password, role=OrgRole.ADMIN)
    principal, _ = await svc.accounts.login(email, password)
    admission = await svc.sessions.admit_member(
        session, user_id=principal.user.id, display_name=name, role=Role.INTERVIEWER
    )
    assert principal.login_id is not None
    return svc.sessions.member_token(admission.participant, principal.login_id)


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
