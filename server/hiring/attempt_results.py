"""Scoring a handed-in attempt: every Q&A challenge from its answers, every code challenge
that was saved by the judge (the hidden tests in a fresh sandbox, or the host's comparison of
cases); a code challenge never saved is not submitted (0, no run). Returns the assessment's
score and the result reviewers read: per test and per question, hidden tests included."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from server.hiring.answers import Answer
from server.hiring.assessment_schema import AssessmentSpec
from server.hiring.assessment_scoring import AssessmentScore
from server.hiring.attempt_scoring import score_attempt
from server.hiring.attempt_work import Work
from server.hiring.challenge import Challenge
from server.hiring.challenge_schema import QAChallengeSpec
from server.hiring.code_scoring import CodeScore
from server.hiring.judge import Judge
from server.hiring.qa_scoring import QAScore, score_answers
from server.hiring.submission import submission_run_files


@dataclass(frozen=True, slots=True)
class HandedIn:
    """One challenge of the attempt: the version it was held against, and what was saved."""

    challenge: Challenge
    #: language -> the test names the reference solution reported (the version's).
    expected_tests: Mapping[str, Sequence[str]]
    work: Work | None


def _qa_detail(qa: QAScore, given: Mapping[str, Answer]) -> dict[str, Any]:
    return {
        "type": "qa",
        "score": qa.score,
        "questions": [
            {
                "id": q.question_id,
                "earned": q.earned,
                "possible": q.possible,
                "deal_breaker_missed": q.deal_breaker_missed,
                "needs_review": q.needs_review,
                "answer": (
                    {"choices": list(given[q.question_id].choices), "text": given[q.question_id].text}
                    if q.question_id in given
                    else None
                ),
            }
            for q in qa.questions
        ],
    }


NOT_SUBMITTED: dict[str, Any] = {
    "type": "code",
    "score": 0.0,
    "language": None,
    "voided": "not submitted",
    "files": {},
    "tests": [],
}


def _code_detail(code: CodeScore, language: str, written: Mapping[str, bytes]) -> dict[str, Any]:
    return {
        "type": "code",
        "score": code.score,
        "language": language,
        "voided": code.voided,
        "files": {p: c.decode(errors="replace") for p, c in sorted(written.items())},
        "tests": [
            {"name": i.name, "passed": i.passed, "weight": i.weight, "message": i.message} for i in code.items
        ],
    }


async def score_handed_in(
    spec: AssessmentSpec, parts: Sequence[HandedIn], judge: Judge
) -> tuple[AssessmentScore, dict[str, Any]]:
    """``parts`` in the assessment's order. The code runs one challenge after the other (the
    judge's limiter bounds the sandbox runs of every attempt together)."""
    challenges: dict[str, Challenge] = {}
    answers: dict[str, Mapping[str, Answer]] = {}
    code_scores: dict[str, CodeScore] = {}
    detail: dict[str, Any] = {}
    for part in parts:
        challenge, work = part.challenge, part.work
        challenges[challenge.id] = challenge
        if isinstance(challenge.spec, QAChallengeSpec):
            given = dict(work.answers) if work else {}
            answers[challenge.id] = given
            detail[challenge.id] = _qa_detail(score_answers(challenge.spec, given), given)
            continue
        if work is None or work.language is None:
            # never saved: not submitted (the starter may pass some tests: no credit for code
            # the candidate did not write), and no sandbox run
            detail[challenge.id] = NOT_SUBMITTED
            continue
        own = challenge.languages[work.language]
        written = {path: text.encode() for path, text in work.files.items()}
        code = await judge.score(
            challenge,
            work.language,
            submission_run_files(challenge.code, own, written),
            part.expected_tests.get(work.language, ()),
        )
        code_scores[challenge.id] = code
        detail[challenge.id] = _code_detail(code, work.language, written)
    total = score_attempt(spec, challenges, answers, code_scores)
    result = {
        "score": total.score,
        "passed": total.passed,
        "deal_breakers_missed": list(total.deal_breakers_missed),
        "challenges": detail,
    }
    return total, result
