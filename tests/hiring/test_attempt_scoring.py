"""An attempt scored from answers and submissions, with the shipped pre-screen."""

from __future__ import annotations

import pytest

from server.exec.runtime.languages import load_catalogue
from server.hiring.answers import Answer
from server.hiring.assessment import load_assessment
from server.hiring.attempt_scoring import score_attempt
from server.hiring.code_scoring import CodeScore, ItemResult
from server.hiring.folder import read_folder
from server.hiring.loader import load_challenge
from tests.support.challenge_folders import LIBRARY

CATALOGUE = load_catalogue()
PRESCREEN = load_assessment((LIBRARY / "assessments" / "prescreen.yaml").read_text(), "prescreen.yaml")
CHALLENGES = {
    item.challenge: load_challenge(read_folder(LIBRARY / "challenges" / item.challenge), CATALOGUE)
    for item in PRESCREEN.challenges
}
GOOD_ANSWERS = {
    "work-authorisation": Answer("work-authorisation", ("yes",)),
    "overlap-hours": Answer("overlap-hours", ("yes",)),
    "experience": Answer("experience", ("3-6",)),
    "stack": Answer("stack", ("python", "postgres", "kubernetes")),
    "notice": Answer("notice", text="4 weeks"),
    "salary": Answer("salary", text="65 000 €"),
}


def code(fraction: float) -> CodeScore:
    return CodeScore((ItemResult("a", fraction >= 0.5, 1), ItemResult("b", fraction >= 1, 1)))


def test_a_good_attempt_passes() -> None:
    result = score_attempt(
        PRESCREEN,
        CHALLENGES,
        {"screening": GOOD_ANSWERS},
        {"fizzbuzz": code(1), "balanced-brackets": code(0.5)},
    )
    assert result.challenges == {"screening": 100, "fizzbuzz": 100, "balanced-brackets": 50}
    assert result.score == pytest.approx(250 / 3) and result.passed


def test_a_missed_deal_breaker_fails_a_perfect_score_elsewhere() -> None:
    answers = GOOD_ANSWERS | {"overlap-hours": Answer("overlap-hours", ("no",))}
    result = score_attempt(
        PRESCREEN, CHALLENGES, {"screening": answers}, {"fizzbuzz": code(1), "balanced-brackets": code(1)}
    )
    assert result.score > 90 and not result.passed
    assert result.deal_breakers_missed == ("screening/overlap-hours",)


def test_an_unanswered_questionnaire_misses_its_deal_breakers() -> None:
    result = score_attempt(PRESCREEN, CHALLENGES, {}, {"fizzbuzz": code(1), "balanced-brackets": code(1)})
    assert not result.passed
    assert set(result.deal_breakers_missed) == {"screening/work-authorisation", "screening/overlap-hours"}
