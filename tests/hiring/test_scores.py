"""Code scores (weighted passed / total) and assessment scores (mean or weighted, passing score,
deal-breakers)."""

from __future__ import annotations

import pytest

from server.exec.reports import TestReport, TestResult
from server.hiring.assessment_schema import AssessmentItem, AssessmentSpec
from server.hiring.assessment_scoring import ChallengeOutcome, score_assessment
from server.hiring.code_scoring import ItemResult, score_cases, score_tests


def report(**statuses: str) -> TestReport:
    return TestReport(tuple(TestResult.make(name, status) for name, status in statuses.items()))  # type: ignore[arg-type]


def test_weighted_passed_over_total() -> None:
    scored = score_tests(report(a="passed", b="failed", c="passed"), ["a", "b", "c"], {"c": 3})
    assert (scored.earned, scored.possible) == (4, 5)
    assert scored.score == pytest.approx(80)


def test_a_test_that_did_not_report_is_failed_and_unexpected_ones_do_not_count() -> None:
    scored = score_tests(report(a="passed", extra="passed"), ["a", "b"], {})
    assert [item.name for item in scored.items] == ["a", "b"] and scored.score == 50


def test_no_report_scores_zero_over_every_expected_test() -> None:
    scored = score_tests(None, ["a", "b"], {"b": 2}, voided="compile_error in the compile step")
    assert (scored.earned, scored.possible, scored.score) == (0, 3, 0)
    assert not scored.all_passed


def test_voided_runs_score_zero_whatever_they_report() -> None:
    assert score_tests(report(a="passed"), ["a"], {}, voided="tampered").score == 0


def test_cases() -> None:
    scored = score_cases([ItemResult("small", True, 1), ItemResult("large", False, 3)])
    assert scored.score == 25


def assessment(scoring: str = "mean") -> AssessmentSpec:
    return AssessmentSpec(
        id="a",
        title="A",
        time_limit_minutes=30,
        passing_score=60,
        scoring=scoring,
        languages=["python"],
        challenges=[AssessmentItem(challenge="qa", weight=1), AssessmentItem(challenge="code", weight=3)],
    )


def test_mean_and_weighted() -> None:
    outcomes = {"qa": ChallengeOutcome(100), "code": ChallengeOutcome(40)}
    mean = score_assessment(assessment(), outcomes)
    assert mean.score == 70 and mean.passed
    weighted = score_assessment(assessment("weighted"), outcomes)
    assert weighted.score == 55 and not weighted.passed


def test_a_challenge_never_submitted_scores_zero() -> None:
    result = score_assessment(assessment(), {"qa": ChallengeOutcome(100)})
    assert result.score == 50 and result.challenges == {"qa": 100, "code": 0}


def test_a_missed_deal_breaker_fails_whatever_the_score() -> None:
    outcomes = {"qa": ChallengeOutcome(90, ("work-authorisation",)), "code": ChallengeOutcome(100)}
    result = score_assessment(assessment(), outcomes)
    assert result.score == 95 and not result.passed
    assert result.deal_breakers_missed == ("qa/work-authorisation",)
