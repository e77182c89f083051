"""Score a parsed report against the tests that were expected to report.

Rules (Codewars #279, the Judge0 symlink CVEs): every expected test must report; one that does
not is failed; a name reported twice keeps its worst result (a forged ``passed`` line cannot
override a real failure); names nobody expected are listed but never scored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from server.exec.reports.model import ParsedReport, TestReport, TestResult
from server.exec.reports.parse import parse_report
from server.exec.runtime.languages.model import Language

MISSING_MESSAGE = "no result was reported for this test (the run ended before it finished)"
_RANK = {"passed": 0, "failed": 1, "error": 2}


def score(parsed: ParsedReport, expected: Sequence[str] | None) -> TestReport:
    """One result per expected name (in that order); ``expected=None`` keeps what was reported."""
    merged: dict[str, TestResult] = {}
    for result in parsed.results:
        known = merged.get(result.name)
        if known is None or _RANK[result.status] > _RANK[known.status]:
            merged[result.name] = result
    problems = list(parsed.problems)
    if expected is None:
        if not merged:
            problems.append("the test run reported no result")
        return TestReport(tuple(merged.values()), (), tuple(problems))
    wanted = list(dict.fromkeys(expected))
    results = tuple(merged.get(name) or TestResult.make(name, "failed", MISSING_MESSAGE) for name in wanted)
    unexpected = tuple(name for name in merged if name not in set(wanted))
    missing = sum(1 for name in wanted if name not in merged)
    if missing:
        problems.append(f"{missing} expected test(s) reported nothing")
    return TestReport(results, unexpected, tuple(problems))


def read_test_report(
    language: Language, collected: Mapping[str, bytes], expected: Sequence[str] | None
) -> TestReport:
    """Parse what a test run left in its results directory and score it (the one call to make)."""
    harness = language.test
    return score(parse_report(harness.report, collected, harness.report_files), expected)
