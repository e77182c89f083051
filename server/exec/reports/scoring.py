"""Score a parsed report against the tests that were expected to report.

Rules (Codewars #279, the Judge0 symlink CVEs): every expected test must report; one that does
not is failed; a name reported twice keeps its worst result (a forged ``passed`` line cannot
override a real failure); names nobody expected are listed but never scored. With the run's key
(``seal.py``), the report must also be sealed by the harness's guard and, for Duet's own
reporters, ended by them: otherwise the run is tampered (every test failed, with the evidence)
or, when it ended at a limit before the guard could seal it, unverified (every test failed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from server.exec.reports.model import ParsedReport, TestReport, TestResult
from server.exec.reports.parse import parse_report
from server.exec.reports.seal import (
    check_reporter_report,
    open_seal,
    reporter_key,
    seal_evidence,
)
from server.exec.runtime.languages.model import Language
from server.exec.sandbox.model import Status

MISSING_MESSAGE = "no result was reported for this test (the run ended before it finished)"
TAMPERED_MESSAGE = "not scored: the run was tampered with (see the evidence)"
UNVERIFIED_MESSAGE = "not scored: the run ended ({status}) before its report could be verified"
#: Evidence lines kept (names of files and processes come from the program: bounded).
MAX_EVIDENCE = 50
_RANK = {"passed": 0, "failed": 1, "error": 2}
#: A run that ended like this was stopped by the host: the guard had no chance to seal.
_STOPPED_BY_HOST: frozenset[Status] = frozenset({"time_limit", "memory_limit", "output_limit"})


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
    language: Language,
    collected: Mapping[str, bytes],
    expected: Sequence[str] | None,
    *,
    key: bytes | None = None,
    run_status: Status = "ok",
    stopped: bool = False,
) -> TestReport:
    """Parse what a test run left in its results directory and score it (the one call to make).

    ``key`` is the run's key (``seal.new_run_key``, given to the run as ``seal.keyed_stdin``);
    without it nothing is verified (only for callers that ran the steps without the key).
    ``run_status`` is the run's status and ``stopped`` whether someone stopped it: a run the host
    ended (a limit, or Stop) is unverified, not tampered, when it left no seal.
    """
    harness = language.test
    if key is None:
        return score(parse_report(harness.report, collected, harness.report_files), expected)
    seal, evidence = open_seal(key, collected)
    if seal is None and not evidence and (stopped or run_status in _STOPPED_BY_HOST):
        return _unverified(language, collected, expected, "stopped" if stopped else run_status)
    if seal is None and not evidence:
        evidence = ["the harness did not finish: it left no seal (its guard was killed, or never ran)"]
    if seal is not None:
        evidence += seal_evidence(seal, collected)
    files = dict(collected)
    unfinished: list[str] = []
    if harness.reporter_key:
        evidence += _check_reporters(language, files, key, unfinished)
    parsed = parse_report(harness.report, files, harness.report_files)
    if unfinished and any(r.status == "passed" for r in parsed.results):
        ending = f" (the tests' process {seal.ending()})" if seal is not None else ""
        evidence += [
            f"/results/{name} was not finished by the harness: no end record{ending}" for name in unfinished
        ]
    report = score(parsed, expected)
    if not evidence:
        return report
    if len(evidence) > MAX_EVIDENCE:
        evidence = [*evidence[:MAX_EVIDENCE], f"... and {len(evidence) - MAX_EVIDENCE} more"]
    return _tampered(report, tuple(evidence))


def _check_reporters(
    language: Language, files: dict[str, bytes], key: bytes, unfinished: list[str]
) -> list[str]:
    """Duet's in-process reporters must have ended their report: each report is replaced by its
    lines before the end record; ``unfinished`` gets the reports that have none."""
    evidence: list[str] = []
    for name in language.test.report_files:
        content = files.get(name)
        if content is None:
            continue
        check = check_reporter_report(reporter_key(key), name, content)
        files[name] = check.lines
        evidence += check.evidence
        if not check.finished:
            unfinished.append(name)
    return evidence


def _tampered(report: TestReport, evidence: tuple[str, ...]) -> TestReport:
    failed = tuple(TestResult.make(r.name, "failed", TAMPERED_MESSAGE) for r in report.results)
    return replace(report, results=failed, tampered=True, evidence=evidence)


def _unverified(
    language: Language, collected: Mapping[str, bytes], expected: Sequence[str] | None, status: str
) -> TestReport:
    harness = language.test
    report = score(parse_report(harness.report, collected, harness.report_files), expected)
    message = UNVERIFIED_MESSAGE.format(status=status)
    failed = tuple(TestResult.make(r.name, "failed", message) for r in report.results)
    return replace(report, results=failed, verified=False, problems=(*report.problems, message))
