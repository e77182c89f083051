"""``/sessions/{session_id}/events?token=...``: the control channel (run console, terminal, chat).

JSON text frames. Authentication as for ``/sync``: refused with 4401/4403 before anything is sent.
"""

from __future__ import annotations

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from server.console.hub import ConsoleMember
from server.errors import DuetError
from server.sessions.roles import can_chat, can_run
from server.sync.transport import TransportClosed
from server.web.services import Services

MAX_FRAME = 128 * 1024


class StarletteTextTransport:
    def __init__(self, websocket: WebSocket) -> None:
        self._ws = websocket

    async def receive(self) -> str:
        try:
            message = await self._ws.receive()
        except (WebSocketDisconnect, RuntimeError) as exc:
            raise TransportClosed() from exc
        if message["type"] == "websocket.disconnect":
            raise TransportClosed()
        text = message.get("text")
        if text is None:
            data = message.get("bytes") or b""
            text = data.decode("utf-8", errors="replace")
        return str(text)[: MAX_FRAME + 1]

    async def send(self, frame: str) -> None:
        try:
            await self._ws.send_text(frame)
        except (WebSocketDisconnect, RuntimeError, OSError) as exc:
            raise TransportClosed() from exc

    async def close(self, code: int, reason: str) -> None:
        if self._ws.application_state is WebSocketState.CONNECTED:
            try:
                await self._ws.close(code, reason[:120])
            except (RuntimeError, OSError):
                return


async def events_endpoint(websocket: WebSocket, session_id: str) -> None:
    services: Services = websocket.app.state.services
    token = websocket.query_params.get("token", "")
    try:
        credential = await services.sessions.authenticate(session_id, token)
    except DuetError as exc:
        await websocket.accept()
        await websocket.close(exc.close_code, exc.message[:120])
        return
    participant, session = credential.participant, credential.session
    await websocket.accept()
    member = ConsoleMember(
        session_id=session.id,
        participant_id=participant.id,
        name=participant.display_name,
        role=participant.role,
        can_run=can_run(participant.role, session.state),
        can_chat=can_chat(participant.role, session.state),
    )
    await services.console.serve(StarletteTextTransport(websocket), member)
