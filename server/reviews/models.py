"""A scorecard: one member's ratings and notes on one session. Plain frozen data, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from server.reviews.criteria import Criterion


@dataclass(frozen=True, slots=True)
class Scorecard:
    session_id: str
    user_id: str
    ratings: Mapping[Criterion, int]
    notes: str
    updated_at: datetime
    submitted_at: datetime | None = None
    #: the author's display name, as read (not stored with the scorecard)
    author_name: str = field(default="", compare=False)

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None
