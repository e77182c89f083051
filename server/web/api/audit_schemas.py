"""Bodies of the audit trail's endpoint (and of a recording's deletion, which answers its record)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from server.audit.models import AuditAction, AuditRecord


class AuditRecordOut(BaseModel):
    id: str
    action: AuditAction
    target_id: str
    actor_id: str | None
    actor_name: str
    created_at: datetime
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditRecordOut]
    next_cursor: str | None


def audit_out(record: AuditRecord) -> AuditRecordOut:
    return AuditRecordOut(
        id=record.id,
        action=record.action,
        target_id=record.target_id,
        actor_id=record.actor_id,
        actor_name=record.actor_name,
        created_at=record.created_at,
        details=dict(record.details),
    )
