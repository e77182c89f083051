"""The stock y-websocket provider (yjs 13, y-websocket 3) in separate Node processes talks to us."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.sessions.roles import Role
from server.settings import Settings
from tests.support.live_app import live_app
from tests.support.node_client import node_client
from tests.support.provisioning import provision
from tests.support.yclient import yclient

pytestmark = [pytest.mark.anyio, pytest.mark.node]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Interop is about the protocol, not storage: SQLite only."""
    return f"sqlite:///{tmp_path / 'duet.db'}"


async def test_node_providers_and_python_clients_interoperate(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, nora=Role.CANDIDATE, nick=Role.CANDIDATE)
    async with live_app(settings) as app:
        base = f"{app.base}/sync"
        async with (
            node_client(base, people.session_id, people.tokens["nora"], "nora") as nora,
            node_client(base, people.session_id, people.tokens["nick"], "nick") as nick,
        ):
            synced = await nora.expect("synced")
            assert synced["files"] == ["main.py"]  # the server's seed reached the stock provider
            await nick.expect("synced")
            # Node -> Node (through the server only: disableBc) and Node -> Python
            await nora.send(op="insert", path="main.py", index=0, text="from nora\n")
            await nick.send(op="wait", path="main.py", contains="from nora")
            await nick.expect("seen")
            async with yclient(app.url(people.session_id, people.tokens["ada"]), "ada") as ada:
                await ada.wait_for(lambda: "from nora" in ada.text("main.py"))
                # Python -> Node
                await ada.insert("main.py", 0, "# from ada\n")
                await nora.send(op="wait", path="main.py", contains="# from ada")
                seen = await nora.expect("seen")
                assert seen["text"] == "# from ada\nfrom nora\n"
                # awareness from the stock provider, with the server-stamped identity
                await nick.send(op="awareness", cursor=4)
                await ada.wait_for(
                    lambda: any(s.get("user", {}).get("name") == "nick" for s in ada.awareness.values())
                )
                await nora.expect(
                    "awareness", lambda m: any(p["user"] and p["user"]["name"] == "nick" for p in m["peers"])
                )
            await nick.send(op="quit")
            # nick's cursor goes away at once when his process closes its socket
            await nora.expect(
                "awareness", lambda m: not any(p["user"] and p["user"]["name"] == "nick" for p in m["peers"])
            )
