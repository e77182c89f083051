"""SQLAlchemy implementation of ``server.audit.repository.AuditLog``, and the one way a record
is written: inside the caller's transaction (``add_record``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.audit.models import AuditAction, AuditRecord
from server.store.audit_tables import AuditRecordRow
from server.store.database import Database


def _record(row: AuditRecordRow) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        org_id=row.org_id,
        actor_id=row.actor_id,
        actor_name=row.actor_name,
        action=AuditAction(row.action),
        target_id=row.target_id,
        created_at=row.created_at,
        details=json.loads(row.details),
    )


def add_record(tx: AsyncSession, record: AuditRecord) -> None:
    """Add ``record`` to the transaction ``tx`` (it commits with what it records)."""
    tx.add(
        AuditRecordRow(
            id=record.id,
            org_id=record.org_id,
            actor_id=record.actor_id,
            actor_name=record.actor_name[:254],
            action=record.action.value,
            target_id=record.target_id,
            details=json.dumps(dict(record.details), sort_keys=True),
            created_at=record.created_at,
        )
    )


class SqlAuditLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def list_records(
        self, org_id: str, *, limit: int, before: tuple[datetime, str] | None
    ) -> Sequence[AuditRecord]:
        query = select(AuditRecordRow).where(AuditRecordRow.org_id == org_id)
        if before is not None:
            at, record_id = before
            query = query.where(
                or_(
                    AuditRecordRow.created_at < at,
                    and_(AuditRecordRow.created_at == at, AuditRecordRow.id < record_id),
                )
            )
        query = query.order_by(AuditRecordRow.created_at.desc(), AuditRecordRow.id.desc()).limit(limit)
        async with self._db.session() as s:
            return [_record(row) for row in (await s.scalars(query)).all()]

    async def latest_for(self, target_id: str, action: AuditAction) -> AuditRecord | None:
        query = (
            select(AuditRecordRow)
            .where(AuditRecordRow.target_id == target_id, AuditRecordRow.action == action.value)
            .order_by(AuditRecordRow.created_at.desc())
            .limit(1)
        )
        async with self._db.session() as s:
            row = (await s.scalars(query)).first()
        return _record(row) if row else None
