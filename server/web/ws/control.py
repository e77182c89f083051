"""``/sessions/{session_id}/events?token=...``: the control channel (run console, terminal, chat).

JSON text frames. Authenticated as ``/sync`` is (``server.web.ws.routes``): refused with 4401/4403
before anything is sent.
"""

from __future__ import annotations

from server.control.session import ControlMember
from server.sessions import Credential
from server.sessions.lifecycle import SessionState
from server.sessions.roles import (
    can_chat,
    can_control_session,
    can_note,
    can_publish_media,
    can_receive_media,
    can_run,
    can_signal,
)
from server.web.services import Services
from server.web.ws.socket import LiveSocket, TextTransport


async def control_endpoint(services: Services, socket: LiveSocket, credential: Credential) -> None:
    participant, session = credential.participant, credential.session
    member = ControlMember(
        session_id=session.id,
        participant_id=participant.id,
        name=participant.display_name,
        role=participant.role,
        can_run=can_run(participant.role, session.state),
        can_chat=can_chat(participant.role, session.state),
        org_id=session.org_id,
        can_note=can_note(participant.role, session.state),
        can_signal=can_signal(participant.role, session.state),
        can_end=can_control_session(participant.role) and session.state is not SessionState.ENDED,
        can_publish_media=can_publish_media(participant.role, session.state),
        can_receive_media=can_receive_media(participant.role, session.state),
    )
    await services.control.serve(TextTransport(socket), member)
