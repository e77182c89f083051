"""SQLAlchemy implementation of ``server.reviews.repository.ScorecardRepository``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, select, update

from server.reviews.criteria import Criterion
from server.reviews.models import Scorecard
from server.store.database import Database
from server.store.review_tables import ScorecardRow
from server.store.tables import UserRow

_NAMES = frozenset(c.value for c in Criterion)


def _scorecard(row: ScorecardRow, author_name: str) -> Scorecard:
    stored = json.loads(row.ratings)
    return Scorecard(
        session_id=row.session_id,
        user_id=row.user_id,
        ratings={Criterion(name): int(rating) for name, rating in stored.items() if name in _NAMES},
        notes=row.notes,
        updated_at=row.updated_at,
        submitted_at=row.submitted_at,
        author_name=author_name,
    )


def _ratings_json(card: Scorecard) -> str:
    return json.dumps({criterion.value: rating for criterion, rating in sorted(card.ratings.items())})


class SqlScorecardRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _select(self) -> Select[ScorecardRow, str]:
        return select(ScorecardRow, UserRow.display_name).join(UserRow, UserRow.id == ScorecardRow.user_id)

    async def get(self, session_id: str, user_id: str) -> Scorecard | None:
        async with self._db.session() as s:
            found = (
                await s.execute(
                    self._select().where(
                        ScorecardRow.session_id == session_id, ScorecardRow.user_id == user_id
                    )
                )
            ).first()
        return _scorecard(found[0], found[1]) if found else None

    async def save_draft(self, card: Scorecard) -> bool:
        async with self._db.transaction() as tx:
            row = await tx.get(ScorecardRow, (card.session_id, card.user_id), with_for_update=True)
            if row is None:
                tx.add(
                    ScorecardRow(
                        session_id=card.session_id,
                        user_id=card.user_id,
                        ratings=_ratings_json(card),
                        notes=card.notes,
                        updated_at=card.updated_at,
                        submitted_at=None,
                    )
                )
                return True
            if row.submitted_at is not None:
                return False
            row.ratings, row.notes, row.updated_at = _ratings_json(card), card.notes, card.updated_at
            return True

    async def submit(self, session_id: str, user_id: str, at: datetime) -> bool:
        async with self._db.transaction() as tx:
            result = await tx.execute(
                update(ScorecardRow)
                .where(
                    ScorecardRow.session_id == session_id,
                    ScorecardRow.user_id == user_id,
                    ScorecardRow.submitted_at.is_(None),
                )
                .values(submitted_at=at)
            )
            return int(getattr(result, "rowcount", 0) or 0) == 1

    async def for_session(self, session_id: str) -> Sequence[Scorecard]:
        async with self._db.session() as s:
            rows = (
                await s.execute(
                    self._select()
                    .where(ScorecardRow.session_id == session_id)
                    .order_by(ScorecardRow.updated_at, ScorecardRow.user_id)
                )
            ).all()
        return [_scorecard(row[0], row[1]) for row in rows]
