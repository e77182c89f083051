"""A deleted recording's sockets: open ones close with 4410, new ones are refused, and nothing
they record on the way out survives the deletion."""

from __future__ import annotations

import anyio
import pytest
from sqlalchemy import func, select
from websockets.asyncio.client import connect

from server.accounts.models import OrgRole, Principal
from server.sessions.roles import Role
from server.settings import Settings
from server.store.recording_tables import SessionEventRow
from server.web.erasure import erase_recording
from tests.support.control_client import control_client
from tests.support.live_app import LiveApp, live_app
from tests.support.provisioning import provision
from tests.support.yclient import frames_until_close, yclient

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def _events(app: LiveApp, sid: str) -> int:
    async with app.services.db.session() as s:
        where = SessionEventRow.session_id == sid
        return int(await s.scalar(select(func.count()).select_from(SessionEventRow).where(where)) or 0)


async def test_deleting_closes_the_readers_and_refuses_them_after(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER)
    async with live_app(settings) as app:
        sid, token = people.session_id, people.tokens["ada"]
        sync, events = (
            f"{app.base}/sync/{sid}?token={token}",
            f"{app.base}/sessions/{sid}/events?token={token}",
        )
        admin = await app.services.accounts.create_user(
            org_id=people.org_id,
            email="root@example.com",
            password="long enough password",
            role=OrgRole.ADMIN,
        )
        async with yclient(sync, "ada") as ada, control_client(events) as ada_control:
            await ada.wait_ack(await ada.insert("main.py", 0, "print('secret')"))
            await app.services.end_session(sid, org_id=people.org_id)
            await ada_control.expect("session.ended")
            assert await _events(app, sid) > 0
            await erase_recording(app.services, Principal(admin), sid)
            closed = await ada.wait_closed()
            assert closed.rcvd is not None and closed.rcvd.code == 4410
        async with connect(sync) as ws:
            assert await frames_until_close(ws) == []
            assert ws.close_code == 4410
        await anyio.sleep(1.0)  # anything still on its way to the log would have landed
        await app.services.events.flush()
        assert await _events(app, sid) == 0
