"""/api/v1/audit: the organization's audit trail (admins)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from server.audit.models import AuditRecord
from server.errors import BadRequest
from server.web.api.audit_schemas import AuditPage, audit_out
from server.web.api.sessions import ERRORS
from server.web.auth import ApiPrincipal, ServicesDep

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=ERRORS)


def _encode_cursor(record: AuditRecord) -> str:
    raw = f"{record.created_at.isoformat()}|{record.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, record_id = raw.split("|", 1)
        parsed = datetime.fromisoformat(at)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("cursor is not one this API issued", details={"field": "cursor"}) from exc
    if parsed.tzinfo is None:
        raise BadRequest("cursor is not one this API issued", details={"field": "cursor"})
    return parsed, record_id


@router.get("", summary="The organization's audit trail, newest first (admins)")
async def list_audit_records(
    principal: ApiPrincipal,
    svc: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> AuditPage:
    before = _decode_cursor(cursor) if cursor else None
    records = await svc.audit.records(principal, limit=limit + 1, before=before)
    page = list(records[:limit])
    next_cursor = _encode_cursor(page[-1]) if len(records) > limit else None
    return AuditPage(items=[audit_out(r) for r in page], next_cursor=next_cursor)
