"""``/sync/{session_id}?token=...``: the y-websocket endpoint.

The participant token was checked before (``server.web.ws.routes``): a refused connection is
closed with 4401 or 4403 before any document data is sent.
"""

from __future__ import annotations

from server.sessions import Credential
from server.sessions.roles import can_edit
from server.sync.connection import ClientInfo
from server.web.services import Services
from server.web.ws.socket import BinaryTransport, LiveSocket


async def sync_endpoint(services: Services, socket: LiveSocket, credential: Credential) -> None:
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
