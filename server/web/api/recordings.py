"""/api/v1/sessions/{id}/recording: delete a finished session's recording (admins); export it as
an archive; /api/v1/session-imports: import one as a new ended session (a path of its own: under
/sessions/ it would shadow, and be shadowed by, /sessions/{id})."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status

from server.accounts.permissions import can_create_sessions, require
from server.errors import Gone
from server.web.api.audit_schemas import AuditRecordOut, audit_out
from server.web.api.schemas import SessionOut
from server.web.api.sessions import ERRORS, NOT_FOUND, SessionId, session_out
from server.web.auth import ApiPrincipal, ServicesDep
from server.web.erasure import erase_recording
from server.web.problems import Problem

NOT_ENDED: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "The session has not ended."}
}
DELETED: dict[int | str, dict[str, Any]] = {
    410: {"model": Problem, "description": "The session's recording was deleted."}
}

router = APIRouter(prefix="/api/v1", tags=["recordings"], responses=ERRORS)
IMPORT_PATH = "/api/v1/session-imports"


@router.delete(
    "/sessions/{session_id}/recording",
    summary="Delete a finished session's recording for good (admins); answers the audit record",
    responses=NOT_FOUND | NOT_ENDED,
)
async def delete_recording(
    session_id: SessionId, principal: ApiPrincipal, svc: ServicesDep
) -> AuditRecordOut:
    return audit_out(await erase_recording(svc, principal, session_id))


@router.get(
    "/sessions/{session_id}/recording/archive",
    summary="Export a finished session's recording as one zip archive (docs/archives.md)",
    responses=NOT_FOUND
    | NOT_ENDED
    | DELETED
    | {200: {"content": {"application/zip": {}}, "description": "The archive."}},
    response_class=Response,
)
async def export_recording(session_id: SessionId, principal: ApiPrincipal, svc: ServicesDep) -> Response:
    session = await svc.sessions.get(session_id, org_id=principal.org_id)
    if session.read_only and await svc.audit.recording_deletion(session.id):
        raise Gone("this session's recording was deleted")
    archive = await svc.archives.export(principal, session, await svc.sessions.participants(session))
    return Response(
        archive,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="duet-session-{session.id}.zip"'},
    )


@router.post(
    IMPORT_PATH.removeprefix("/api/v1"),
    status_code=status.HTTP_201_CREATED,
    summary="Import a session archive as a new ended session of your organization",
    responses={413: {"model": Problem, "description": "The archive is larger than DUET_MAX_ARCHIVE_BYTES."}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def import_recording(
    request: Request, principal: ApiPrincipal, svc: ServicesDep, response: Response
) -> SessionOut:
    require(can_create_sessions(principal.role), "import recordings")
    data = await request.body()  # BodyLimit caps it at DUET_MAX_REQUEST_BYTES
    session = await svc.archives.import_archive(principal, data)
    response.headers["Location"] = f"/api/v1/sessions/{session.id}"
    return await session_out(svc, principal, session)
