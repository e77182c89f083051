"""Scoring code: weighted passed / total, from the framework's per-test results or from the
host's comparison of input/output cases. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from server.exec.reports import TestReport


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One scored test or case."""

    name: str
    passed: bool
    weight: float
    message: str = ""


@dataclass(frozen=True, slots=True)
class CodeScore:
    items: tuple[ItemResult, ...]
    #: Why the score is 0 whatever the items say (a compile error, a tampered run), or "".
    voided: str = ""

    @property
    def earned(self) -> float:
        return 0.0 if self.voided else sum(item.weight for item in self.items if item.passed)

    @property
    def possible(self) -> float:
        return sum(item.weight for item in self.items)

    @property
    def score(self) -> float:
        """0-100."""
        return 100.0 * self.earned / self.possible if self.possible > 0 else 0.0

    @property
    def all_passed(self) -> bool:
        return not self.voided and bool(self.items) and all(item.passed for item in self.items)


def score_tests(
    report: TestReport | None, expected: Sequence[str], weights: Mapping[str, float], voided: str = ""
) -> CodeScore:
    """Every expected test counts (with its weight, 1 by default); one that did not report, or a
    run that produced no report at all (``report=None``: it did not compile), counts as failed.
    Tests nobody expected are never scored."""
    by_name = {result.name: result for result in report.results} if report is not None else {}
    items = []
    for name in expected:
        result = by_name.get(name)
        passed = result is not None and result.status == "passed"
        message = result.message if result is not None else "not run"
        items.append(ItemResult(name, passed, weights.get(name, 1.0), message))
    return CodeScore(tuple(items), voided)


def score_cases(outcomes: Sequence[ItemResult]) -> CodeScore:
    """Input/output cases, already compared by the host (``server.hiring.io_compare``)."""
    return CodeScore(tuple(outcomes))
