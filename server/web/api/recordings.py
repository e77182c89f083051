"""/api/v1/sessions/{id}/recording: delete a finished session's recording (admins); export it as
an archive; /api/v1/sessions/import: import one as a new ended session."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from server.web.api.audit_schemas import AuditRecordOut, audit_out
from server.web.api.sessions import ERRORS, NOT_FOUND, SessionId
from server.web.auth import ApiPrincipal, ServicesDep
from server.web.erasure import erase_recording
from server.web.problems import Problem

NOT_ENDED: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "The session has not ended."}
}

router = APIRouter(prefix="/api/v1/sessions", tags=["recordings"], responses=ERRORS)


@router.delete(
    "/{session_id}/recording",
    summary="Delete a finished session's recording for good (admins); answers the audit record",
    responses=NOT_FOUND | NOT_ENDED,
)
async def delete_recording(
    session_id: SessionId, principal: ApiPrincipal, svc: ServicesDep
) -> AuditRecordOut:
    return audit_out(await erase_recording(svc, principal, session_id))
