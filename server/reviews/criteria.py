"""The fixed list of what a scorecard rates, and the scale."""

from __future__ import annotations

from enum import StrEnum


class Criterion(StrEnum):
    PROBLEM_SOLVING = "problem_solving"
    CODE_QUALITY = "code_quality"
    COMMUNICATION = "communication"
    TESTING = "testing"


#: The scale of every rating: 1 (strong no) .. 4 (strong yes).
RATING_MIN = 1
RATING_MAX = 4
#: Written notes, in characters.
MAX_NOTES = 20_000
