"""``/sync/{session_id}?token=...``: the y-websocket endpoint.

The participant token is checked before anything else; a refused connection is accepted only to
be closed at once with 4401 (unknown token) or 4403 (revoked), before any document data is sent.
"""

from __future__ import annotations

from server.errors import DuetError
from server.sessions.roles import can_edit
from server.sync.connection import ClientInfo
from server.web.services import Services
from server.web.ws.socket import BinaryTransport, LiveSocket


async def sync_endpoint(services: Services, socket: LiveSocket, session_id: str) -> None:
    try:
        credential = await services.sessions.authenticate(session_id, socket.query("token"))
    except DuetError as exc:
        await socket.close(exc.close_code, exc.message)
        return
    participant, session = credential.participant, credential.session
    info = ClientInfo(
        session_id=session.id,
        participant_id=participant.id,
        role=participant.role,
        display_name=participant.display_name,
        writable=can_edit(participant.role, session.state),
        language=session.language,
    )
    await services.sync.serve(BinaryTransport(socket), info)
