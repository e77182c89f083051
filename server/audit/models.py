"""An audit record. Plain frozen data, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from server import tokens
from server.accounts.models import Principal


class AuditAction(StrEnum):
    RECORDING_DELETED = "recording.deleted"
    SESSION_IMPORTED = "session.imported"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: str
    org_id: str
    actor_id: str | None
    actor_name: str
    action: AuditAction
    target_id: str
    created_at: datetime
    #: what else is worth knowing: counts, the session's title at the time
    details: Mapping[str, Any] = field(default_factory=dict)


def record(
    principal: Principal, action: AuditAction, target_id: str, at: datetime, **details: Any
) -> AuditRecord:
    """A new record of ``principal`` doing ``action`` to ``target_id`` at ``at``."""
    return AuditRecord(
        id=tokens.new_id(),
        org_id=principal.org_id,
        actor_id=principal.user.id,
        actor_name=f"{principal.user.display_name} <{principal.user.email}>",
        action=action,
        target_id=target_id,
        created_at=at,
        details=details,
    )
