"""``/sync/{session_id}?token=...``: the y-websocket endpoint.

The participant token is checked before anything else; a refused connection is accepted only to
be closed at once with 4401 (unknown token) or 4403 (revoked), before any document data is sent.
"""

from __future__ import annotations

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from server.errors import DuetError
from server.sessions.roles import can_edit
from server.sync.connection import ClientInfo
from server.sync.protocol import ProtocolError
from server.sync.transport import TransportClosed
from server.web.services import Services


class StarletteTransport:
    def __init__(self, websocket: WebSocket) -> None:
        self._ws = websocket

    async def receive(self) -> bytes:
        try:
            message = await self._ws.receive()
        except (WebSocketDisconnect, RuntimeError) as exc:
            raise TransportClosed() from exc
        if message["type"] == "websocket.disconnect":
            raise TransportClosed()
        data = message.get("bytes")
        if data is None:
            raise ProtocolError("text frames are not part of the protocol; send binary frames")
        return data  # type: ignore[no-any-return]

    async def send(self, frame: bytes) -> None:
        try:
            await self._ws.send_bytes(frame)
        except (WebSocketDisconnect, RuntimeError, OSError) as exc:
            raise TransportClosed() from exc

    async def close(self, code: int, reason: str) -> None:
        if self._ws.application_state is WebSocketState.CONNECTED:
            try:
                await self._ws.close(code, reason[:120])
            except (RuntimeError, OSError):
                return


async def sync_endpoint(websocket: WebSocket, session_id: str) -> None:
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
    info = ClientInfo(
        session_id=session.id,
        participant_id=participant.id,
        role=participant.role,
        display_name=participant.display_name,
        writable=can_edit(participant.role, session.state),
        language=session.language,
    )
    await services.sync.serve(StarletteTransport(websocket), info)
