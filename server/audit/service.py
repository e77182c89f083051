"""AuditService: who may read the trail, and whether a session's recording was deleted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from server.accounts.models import Principal
from server.accounts.permissions import can_manage_members, require
from server.audit.models import AuditAction, AuditRecord
from server.audit.repository import AuditLog


class AuditService:
    def __init__(self, log: AuditLog) -> None:
        self._log = log

    async def records(
        self, principal: Principal, *, limit: int, before: tuple[datetime, str] | None = None
    ) -> Sequence[AuditRecord]:
        """The caller's organization's records, newest first: admins only."""
        require(can_manage_members(principal.role), "read the audit trail")
        return await self._log.list_records(principal.org_id, limit=limit, before=before)

    async def recording_deletion(self, session_id: str) -> AuditRecord | None:
        """The record of this session's recording being deleted, if it was."""
        return await self._log.latest_for(session_id, AuditAction.RECORDING_DELETED)
