"""What the audit trail needs from storage. ``server.store`` implements it with SQLAlchemy.

Records are written by the store in the same transaction as what they record (the erasure, the
import), never on their own afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from server.audit.models import AuditAction, AuditRecord


class AuditLog(Protocol):
    async def list_records(
        self, org_id: str, *, limit: int, before: tuple[datetime, str] | None
    ) -> Sequence[AuditRecord]:
        """Newest first; ``before`` is the (created_at, id) of the last item of the previous page."""
        ...

    async def latest_for(self, target_id: str, action: AuditAction) -> AuditRecord | None: ...
