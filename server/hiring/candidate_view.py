"""What a candidate may see of a challenge: the ONLY shape a candidate-facing API serves.

It never holds a reference solution, a submission test, a hidden file, a scored input/output
case, a choice's value, a matcher or a deal-breaker flag: they are dropped here, once, and a test
checks that nothing of them survives (tests/hiring/test_candidate_view.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from server.hiring.challenge import Challenge
from server.hiring.challenge_schema import Access, CodeChallengeSpec, QAChallengeSpec
from server.hiring.question_order import ordered_questions


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CandidateFile(_View):
    path: str
    content: str
    access: Literal["editable", "read-only"]


class CandidateCase(_View):
    name: str
    stdin: str
    expected: str


class CandidateChoice(_View):
    id: str
    text: str


class CandidateQuestion(_View):
    id: str
    kind: Literal["single", "multiple", "text", "code"]
    prompt: str
    points: float
    choices: list[CandidateChoice]
    language: str | None


class CandidateChallenge(_View):
    id: str
    title: str
    type: Literal["code", "qa"]
    instructions: str
    time_limit_minutes: int | None
    language: str | None = None
    files: list[CandidateFile] = []
    #: Sample input/output cases (input/output challenges).
    sample_cases: list[CandidateCase] = []
    questions: list[CandidateQuestion] = []


def _visible(access: Access) -> Literal["editable", "read-only"] | None:
    return None if access == "hidden" else ("read-only" if access == "read-only" else "editable")


def candidate_view(challenge: Challenge, *, language: str | None, attempt_id: str) -> CandidateChallenge:
    """The challenge as one candidate's attempt shows it (code: in ``language``; Q&A: questions
    in this attempt's order)."""
    spec = challenge.spec
    base = {
        "id": spec.id,
        "title": spec.title,
        "type": spec.type,
        "instructions": challenge.instructions,
        "time_limit_minutes": spec.time_limit_minutes,
    }
    if isinstance(spec, QAChallengeSpec):
        questions = [
            CandidateQuestion(
                id=q.id,
                kind=q.kind,
                prompt=q.prompt,
                points=q.points,
                choices=[CandidateChoice(id=c.id, text=c.text) for c in q.choices],
                language=q.language,
            )
            for q in ordered_questions(spec, attempt_id)
        ]
        return CandidateChallenge(**base, questions=questions)
    assert isinstance(spec, CodeChallengeSpec)
    if language is None or language not in challenge.languages:
        raise ValueError(f"challenge {spec.id!r} has no {language!r} version")
    own = challenge.languages[language]
    files = []
    for file in own.starter:
        access = _visible(file.access)
        if access is not None:
            files.append(
                CandidateFile(path=file.path, content=file.content.decode(errors="replace"), access=access)
            )
    starter_paths = {file.path for file in own.starter}
    files.extend(
        CandidateFile(path=path, content=content.decode(errors="replace"), access="editable")
        for path, content in sorted(own.sample_tests.items())
        if path not in starter_paths
    )
    cases = [
        CandidateCase(
            name=case.name,
            stdin=case.stdin.decode(errors="replace"),
            expected=case.expected.decode(errors="replace"),
        )
        for case in challenge.cases
        if case.sample
    ]
    return CandidateChallenge(**base, language=language, files=files, sample_cases=cases)
