"""/api/v1/audit: the organization's audit trail (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from server.web.api.audit_schemas import AuditPage, audit_out
from server.web.api.cursors import decode_cursor, encode_cursor
from server.web.api.sessions import ERRORS
from server.web.auth import ApiPrincipal, ServicesDep

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=ERRORS)


@router.get("", summary="The organization's audit trail, newest first (admins)")
async def list_audit_records(
    principal: ApiPrincipal,
    svc: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> AuditPage:
    before = decode_cursor(cursor) if cursor else None
    records = await svc.audit.records(principal, limit=limit + 1, before=before)
    page = list(records[:limit])
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(records) > limit else None
    return AuditPage(items=[audit_out(r) for r in page], next_cursor=next_cursor)
