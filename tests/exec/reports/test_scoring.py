"""Scoring: expected tests that report nothing fail; forged duplicates cannot upgrade a result."""

from __future__ import annotations

from server.exec.reports import MISSING_MESSAGE, ParsedReport, TestResult, read_test_report, score
from server.exec.runtime.languages import load_catalogue


def test_missing_tests_fail_and_unexpected_ones_are_not_scored() -> None:
    parsed = ParsedReport((TestResult("a", "passed"), TestResult("zzz", "passed")))
    report = score(parsed, ["a", "b", "c"])
    assert [(r.name, r.status, r.message) for r in report.results] == [
        ("a", "passed", ""),
        ("b", "failed", MISSING_MESSAGE),
        ("c", "failed", MISSING_MESSAGE),
    ]
    assert report.unexpected == ("zzz",)
    assert (report.passed, report.failed, report.errors, report.all_passed) == (1, 2, 0, False)
    assert report.problems == ("2 expected test(s) reported nothing",)


def test_a_name_reported_twice_keeps_its_worst_result() -> None:
    parsed = ParsedReport(
        (
            TestResult("a", "failed", "real"),
            TestResult("a", "passed"),
            TestResult("b", "passed"),
            TestResult("b", "error", "boom"),
            TestResult("b", "failed"),
        )
    )
    report = score(parsed, ["a", "b"])
    assert [(r.status, r.message) for r in report.results] == [("failed", "real"), ("error", "boom")]


def test_duplicate_expected_names_count_once_and_order_is_the_expected_order() -> None:
    parsed = ParsedReport((TestResult("b", "passed"), TestResult("a", "passed")))
    report = score(parsed, ["a", "b", "a"])
    assert [r.name for r in report.results] == ["a", "b"]
    assert report.all_passed


def test_no_expected_list_keeps_what_was_reported() -> None:
    assert score(ParsedReport(), None).problems == ("the test run reported no result",)
    report = score(ParsedReport((TestResult("x", "passed"),), ("p",)), None)
    assert ([r.name for r in report.results], report.problems, report.all_passed) == (["x"], ("p",), True)


def test_empty_expected_list_scores_nothing() -> None:
    report = score(ParsedReport((TestResult("x", "passed"),)), [])
    assert (report.results, report.unexpected, report.all_passed) == ((), ("x",), False)


def test_read_test_report_uses_the_language_harness() -> None:
    python = load_catalogue().get("python")
    collected = {
        "report.jsonl": b'{"name": "test_a", "status": "passed"}\n',
        "report.xml": b"<testsuite><testcase name='test_b'/></testsuite>",
    }
    report = read_test_report(python, collected, ["test_a", "test_b"])
    assert [r.status for r in report.results] == ["passed", "failed"]
