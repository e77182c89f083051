"""What the hostile-participant tests check after (and during) an attack: the node still serves
another session, and says it is healthy; and how much memory a server process has needed."""

from __future__ import annotations

from pathlib import Path

import httpx

from server.web.api.schemas import Health
from tests.support.live_app import http_base
from tests.support.yclient import yclient

DEADLINE = 20.0


def peak_memory(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for process {pid}")


async def another_session_is_served(ws_base: str, session_id: str, token: str, marker: str) -> None:
    """A participant of another session edits and gets the acknowledgement; a second client
    sees the edit: sync works end to end for everyone else."""
    url = f"{ws_base}/sync/{session_id}?token={token}"
    async with yclient(url, "bystander") as editor:
        await editor.wait_ack(await editor.insert("main.py", 0, marker))
    async with yclient(url, "bystander's reader") as reader:
        assert marker in reader.text("main.py")


async def healthy(ws_base: str) -> Health:
    """/healthz says the node serves."""
    async with httpx.AsyncClient(base_url=http_base(ws_base), timeout=DEADLINE) as client:
        response = await client.get("/healthz")
    body = Health.model_validate(response.json())
    assert response.status_code == 200 and body.status == "ok", body
    return body
