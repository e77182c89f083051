"""What the review service needs from storage. ``server.store`` implements it with SQLAlchemy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from server.reviews.models import Scorecard


class ScorecardRepository(Protocol):
    async def get(self, session_id: str, user_id: str) -> Scorecard | None: ...

    async def save_draft(self, card: Scorecard) -> bool:
        """Insert or replace a draft; False (nothing changed) if that scorecard is submitted."""
        ...

    async def submit(self, session_id: str, user_id: str, at: datetime) -> bool:
        """Mark it submitted at ``at`` unless it already is; False if it was."""
        ...

    async def for_session(self, session_id: str) -> Sequence[Scorecard]:
        """Every scorecard of a session with its author's name, oldest first."""
        ...
