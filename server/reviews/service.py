"""ReviewService: read, write and submit one's own scorecard; read the others' once allowed.

The caller (the REST API, the pages) has already found the session in the member's own
organization; every rule about scorecards is checked here, so both go through the same checks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime

from server.accounts.models import Principal
from server.errors import Conflict
from server.reviews import rules
from server.reviews.models import Scorecard
from server.reviews.repository import ScorecardRepository
from server.sessions.models import Session

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class ReviewService:
    def __init__(self, repository: ScorecardRepository, *, clock: Clock = utcnow) -> None:
        self._repo = repository
        self._clock = clock

    async def mine(self, session: Session, principal: Principal) -> Scorecard | None:
        rules.require_write(principal.role, session.state)
        return await self._repo.get(session.id, principal.user.id)

    async def save_draft(
        self, session: Session, principal: Principal, *, ratings: Mapping[str, int], notes: str
    ) -> Scorecard:
        rules.require_write(principal.role, session.state)
        parsed = rules.check_draft(ratings, notes)
        rules.require_editable(await self._repo.get(session.id, principal.user.id))
        card = Scorecard(
            session_id=session.id,
            user_id=principal.user.id,
            ratings=parsed,
            notes=notes,
            updated_at=self._clock(),
            author_name=principal.user.display_name,
        )
        if not await self._repo.save_draft(card):  # submitted meanwhile
            rules.require_editable(await self._repo.get(session.id, principal.user.id))
        return card

    async def submit(self, session: Session, principal: Principal) -> Scorecard:
        rules.require_write(principal.role, session.state)
        card = await self._repo.get(session.id, principal.user.id)
        rules.require_editable(card)
        complete = rules.require_complete(card)
        at = self._clock()
        if not await self._repo.submit(session.id, principal.user.id, at):
            raise Conflict("this scorecard was submitted and is final", details={"submitted": True})
        return replace(complete, submitted_at=at)

    async def everyone(self, session: Session, principal: Principal) -> list[Scorecard]:
        """Every submitted scorecard of the session, the caller's own included; Forbidden until
        the caller has submitted theirs."""
        rules.require_write(principal.role, session.state)
        rules.require_sees_others(await self._repo.get(session.id, principal.user.id))
        return rules.visible_to_others(list(await self._repo.for_session(session.id)))
