"""Deleting a session's recording from the web layer: the sockets go first, then the data."""

from __future__ import annotations

import anyio

from server.accounts.models import Principal
from server.archives.erasure import require_erasable
from server.audit.models import AuditRecord
from server.channels.sockets import Revocation
from server.web.services import Services

#: The close code of a socket whose session's recording was deleted (4000 + 410 Gone).
GONE_CLOSE_CODE = 4410
#: How long the sockets of this node get to end before the data goes.
SOCKETS_GONE_SECONDS = 5.0
POLL_SECONDS = 0.02


async def erase_recording(svc: Services, principal: Principal, session_id: str) -> AuditRecord:
    """Close every socket of the session on every node (an ended session still has interviewers
    and reviewers reading it, and their joins, leaves and cursors are recorded), let the events
    already queued commit, then delete everything in one transaction with its audit record. From
    then on the session's sockets and pad are refused (``recording_deletion``)."""
    session = await svc.sessions.get(session_id, org_id=principal.org_id)
    require_erasable(principal, session)
    svc.revoker.revoke(
        Revocation("session", session.id, "this session's recording was deleted", code=GONE_CLOSE_CODE)
    )
    for _ in range(int(SOCKETS_GONE_SECONDS / POLL_SECONDS)):
        if not svc.sockets.open_in(session.id):  # their leave events are queued as they end
            break
        await anyio.sleep(POLL_SECONDS)
    await svc.events.flush()
    return await svc.eraser.erase(principal, session)
