"""Access that ends closes the sockets it opened, at once, and refuses them afterwards: a rotated
or revoked link, an ended session, a disabled or demoted member, a sign-out, an expired guest
token. Driven the way people do it: the REST API, the pages, real websockets."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from server.accounts.models import OrgRole
from server.errors import RateLimited
from server.sessions.roles import Role
from server.sessions.service import Credential
from server.settings import Settings
from server.web.services import running_services
from tests.support.control_client import ControlClient, control_client
from tests.support.databases import fresh_postgres
from tests.support.live_app import LiveApp, http_base, live_app
from tests.support.live_server import LIVE_SECRET, live_server
from tests.support.provisioning import provision
from tests.support.redis_server import redis_url, unique_prefix
from tests.support.yclient import YClient, frames_until_close, yclient

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
PASSWORD = "long enough password"


def sync_url(app: LiveApp, session_id: str, token: str) -> str:
    return f"{app.base}/sync/{session_id}?token={token}"


def events_url(app: LiveApp, session_id: str, token: str) -> str:
    return f"{app.base}/sessions/{session_id}/events?token={token}"


async def refused_with(url: str) -> tuple[int | None, str | None]:
    async with connect(url) as ws:
        await frames_until_close(ws)
        return ws.close_code, ws.close_reason


async def closed_with(client: YClient | ControlClient) -> tuple[int, str]:
    closed = await client.wait_closed()
    assert closed.rcvd is not None, closed
    return closed.rcvd.code, closed.rcvd.reason


async def api_key(app: LiveApp, email: str, role: OrgRole) -> dict[str, str]:
    org = await app.services.accounts.default_organization()
    user = await app.services.accounts.create_user(org_id=org.id, email=email, password=PASSWORD, role=role)
    _, key = await app.services.accounts.create_api_key(user)
    return {"Authorization": f"Bearer {key}"}


async def test_rotating_a_link_closes_its_guests_sockets_at_once(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, eve=Role.CANDIDATE, olga=Role.OBSERVER)
    async with live_app(settings) as app:
        sid, tokens = people.session_id, people.tokens
        headers = await api_key(app, "ops@example.com", OrgRole.ADMIN)
        async with (
            yclient(sync_url(app, sid, tokens["eve"]), "eve") as eve,
            control_client(events_url(app, sid, tokens["eve"])) as eve_control,
            yclient(sync_url(app, sid, tokens["olga"]), "olga") as olga,
            yclient(sync_url(app, sid, tokens["ada"]), "ada") as ada,
        ):
            async with httpx.AsyncClient(base_url=http_base(app.base), headers=headers) as api:
                rotated = await api.post(f"/api/v1/sessions/{sid}/links/candidate/rotate")
                assert rotated.status_code == 200
            # once editing and running went on over open sockets after a rotation
            code, reason = await closed_with(eve)
            assert code == 4403 and "revoked" in reason
            assert (await closed_with(eve_control))[0] == 4403
            await ada.wait_ack(await ada.insert("main.py", 0, "the others carry on"))
            await olga.wait_for(lambda: "carry on" in olga.text("main.py"), "the observer's copy")
        assert (await refused_with(sync_url(app, sid, tokens["eve"])))[0] == 4403


async def test_ending_a_session_sends_its_guests_away_and_keeps_interviewers_reading(
    settings: Settings,
) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, eve=Role.CANDIDATE, olga=Role.OBSERVER)
    async with live_app(settings) as app:
        sid, tokens = people.session_id, people.tokens
        async with (
            yclient(sync_url(app, sid, tokens["eve"]), "eve") as eve,
            control_client(events_url(app, sid, tokens["olga"])) as olga,
            yclient(sync_url(app, sid, tokens["ada"]), "ada") as ada,
            control_client(events_url(app, sid, tokens["ada"])) as ada_control,
        ):
            await app.services.end_session(sid, org_id=people.org_id)
            assert await closed_with(eve) == (4403, "the session has ended")
            assert (await closed_with(olga))[0] == 4403
            await ada_control.expect("session.ended")
            await ada_control.send(type="run.start")
            assert "cannot run" in (await ada_control.expect("error"))["message"]
            assert ada.closed is None
        assert await refused_with(sync_url(app, sid, tokens["eve"])) == (4403, "the session has ended")
        async with yclient(sync_url(app, sid, tokens["ada"]), "ada reads") as reader:
            assert reader.text("main.py") == ""


async def test_disabling_or_demoting_a_member_closes_their_pads(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.INTERVIEWER, root=Role.INTERVIEWER)
    async with live_app(settings) as app:
        sid, tokens = people.session_id, people.tokens
        accounts = app.services.accounts
        root = await accounts.login("root@example.com", PASSWORD)
        async with (
            yclient(sync_url(app, sid, tokens["ada"]), "ada") as ada,
            control_client(events_url(app, sid, tokens["bob"])) as bob,
        ):
            ada_user = await accounts.user_by_email("ada@example.com")
            await accounts.set_disabled(root[0], ada_user.id, True)
            assert (await closed_with(ada))[0] == 4403
            bob_user = await accounts.user_by_email("bob@example.com")
            await accounts.change_role(root[0], bob_user.id, OrgRole.REVIEWER)
            code, reason = await closed_with(bob)
            assert code == 4403 and "no longer allows you to interview" in reason
        # their tokens open nothing any more: a disabled member's sign-ins are gone...
        assert (await refused_with(sync_url(app, sid, tokens["ada"])))[0] == 4401
        # ...and a reviewer does not interview
        assert (await refused_with(events_url(app, sid, tokens["bob"])))[0] == 4403


def _meta(html: str, name: str) -> str:
    match = re.search(rf'<meta name="{name}" content="([^"]*)">', html)
    assert match, html[:300]
    return match.group(1)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, html[:300]
    return match.group(1)


@asynccontextmanager
async def signed_in_pad(
    app: LiveApp, session_id: str, email: str
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A browser-like client signed in as ``email`` that entered the session; the pad's token."""
    async with httpx.AsyncClient(base_url=http_base(app.base), headers={"accept": "text/html"}) as client:
        page = await client.get("/login")
        signed = await client.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf": _csrf(page.text)}
        )
        assert signed.status_code == 303, signed.text
        entrance = await client.get(f"/s/{session_id}")
        assert entrance.status_code == 200
        entered = await client.post(f"/s/{session_id}/enter", data={"csrf": _csrf(entrance.text)})
        assert entered.status_code == 303
        pad = await client.get(f"/s/{session_id}")
        assert pad.status_code == 200
        yield client, _meta(pad.text, "duet-token")


async def test_signing_out_closes_the_pads_of_that_sign_in_only(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER)
    async with live_app(settings) as app:
        sid = people.session_id
        async with (
            signed_in_pad(app, sid, "ada@example.com") as (laptop, laptop_token),
            signed_in_pad(app, sid, "ada@example.com") as (phone, phone_token),
        ):
            assert laptop_token.startswith("m.") and laptop_token != phone_token
            async with (
                yclient(sync_url(app, sid, laptop_token), "laptop") as on_laptop,
                yclient(sync_url(app, sid, phone_token), "phone") as on_phone,
            ):
                laptop.cookies.set(f"duet_p_{sid}", "a guest token from earlier")
                dashboard = await laptop.get("/dashboard")
                out = await laptop.post("/logout", data={"csrf": _csrf(dashboard.text)})
                assert out.status_code == 303
                cleared = out.headers.get_list("set-cookie")
                assert any(c.startswith(f"duet_p_{sid}=") and "max-age=0" in c.lower() for c in cleared)
                assert await closed_with(on_laptop) == (4403, "you signed out")
                await on_phone.wait_ack(await on_phone.insert("main.py", 0, "phone still works"))
            # once, the pad outlived the sign-out
            assert (await refused_with(sync_url(app, sid, laptop_token)))[0] == 4401
            assert (await laptop.get(f"/s/{sid}")).status_code in {303, 404}


async def test_an_interviewer_who_rotates_their_own_link_still_opens_the_pad(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER)
    async with live_app(settings) as app:
        session = await app.services.sessions.get(people.session_id, org_id=people.org_id)
        link = next(i for i in await app.services.sessions.links(session) if i.link.role is Role.INTERVIEWER)
        async with signed_in_pad(app, session.id, "ada@example.com") as (client, _):
            join_page = await client.get(f"/j/{link.token}")
            assert (
                join_page.status_code == 200 and "Join as interviewer" in join_page.text
            )  # a GET joins nothing
            joined = await client.post(f"/j/{link.token}", data={"csrf": _csrf(join_page.text)})
            assert joined.status_code == 303 and joined.headers["location"] == f"/s/{session.id}"
            dashboard = await client.get("/dashboard")
            rotated = await client.post(
                f"/dashboard/sessions/{session.id}/links/interviewer/rotate",
                data={"csrf": _csrf(dashboard.text)},
            )
            assert rotated.status_code == 303
            pad = await client.get(f"/s/{session.id}")  # once, this redirected to itself forever
            assert pad.status_code == 200 and _meta(pad.text, "duet-role") == "interviewer"


async def test_guest_tokens_expire_even_on_an_open_socket(settings: Settings) -> None:
    settings = replace(settings, participant_ttl_hours=3 / 3600)  # three seconds
    people = await provision(settings, eve=Role.CANDIDATE)
    async with live_app(settings) as app:
        url = sync_url(app, people.session_id, people.tokens["eve"])
        async with connect(url) as ws:
            frames = await frames_until_close(ws)
            # opened (its first frames arrived) and closed when the token expired; on a machine so
            # slow that three seconds passed before it connected, refused at once for the same reason
            assert ws.close_code == 4401 and "expired" in (ws.close_reason or ""), frames[:1]
        assert (await refused_with(url))[0] == 4401


async def test_a_session_takes_a_bounded_number_of_guests(settings: Settings) -> None:
    settings = replace(settings, session_max_guests=2)
    people = await provision(settings, eve=Role.CANDIDATE, olga=Role.OBSERVER)
    async with live_app(settings) as app:
        session = await app.services.sessions.get(people.session_id, org_id=people.org_id)
        link = next(i for i in await app.services.sessions.links(session) if i.link.role is Role.CANDIDATE)
        with pytest.raises(RateLimited):
            await app.services.sessions.join(link.token, display_name="third")


async def test_a_reviewer_key_cannot_run_code(settings: Settings) -> None:
    async with live_app(settings) as app:
        headers = await api_key(app, "rev@example.com", OrgRole.REVIEWER)
        body = {"language": "python", "files": [{"path": "main.py", "content": "print(1)"}]}
        async with httpx.AsyncClient(base_url=http_base(app.base), headers=headers) as api:
            refused = await api.post("/api/v1/executions", json=body)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


async def test_a_revocation_racing_a_connect_still_refuses_it(settings: Settings) -> None:
    """A socket whose token was read just before the link was revoked is refused when it is
    admitted, not left open (revocations are remembered for a while)."""
    people = await provision(settings, eve=Role.CANDIDATE)
    async with live_app(settings) as app:
        session = await app.services.sessions.get(people.session_id, org_id=people.org_id)
        original = app.services.sessions.authenticate

        async def slow_authenticate(session_id: str, token: str) -> Credential:
            credential = await original(session_id, token)
            await app.services.sessions.rotate_link(session, Role.CANDIDATE)  # meanwhile, elsewhere
            return credential

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(app.services.sessions, "authenticate", slow_authenticate)
            assert (await refused_with(sync_url(app, session.id, people.tokens["eve"])))[0] == 4403


@pytest.mark.postgres
@pytest.mark.redis
async def test_a_revocation_reaches_sockets_on_every_node(tmp_path: Path) -> None:
    env = {"DUET_REDIS_URL": redis_url(), "DUET_REDIS_PREFIX": unique_prefix()}
    async with fresh_postgres() as database_url:
        settings = Settings(secret_key=LIVE_SECRET, var_dir=tmp_path, database_url=database_url)
        people = await provision(settings, ada=Role.INTERVIEWER, eve=Role.CANDIDATE)
        async with running_services(settings) as svc:
            user = await svc.accounts.user_by_email("ada@example.com")
            _, key = await svc.accounts.create_api_key(user)
        with (
            live_server(tmp_path / "a", database_url, extra_env=env) as node_a,
            live_server(tmp_path / "b", database_url, extra_env=env) as node_b,
        ):
            on_b = f"{node_b.ws_url}/sync/{people.session_id}?token={people.tokens['eve']}"
            async with yclient(on_b, "eve on node b") as eve:
                async with httpx.AsyncClient(
                    base_url=node_a.url, headers={"Authorization": f"Bearer {key}"}
                ) as api:
                    response = await api.post(f"/api/v1/sessions/{people.session_id}/links/candidate/rotate")
                    assert response.status_code == 200
                code, reason = await closed_with(eve)
                assert code == 4403 and "revoked" in reason
