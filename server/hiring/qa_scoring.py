"""Scoring Q&A answers: pure functions.

A question's raw value is the sum of what the candidate earned on it: the values of the choices
picked (single choice: exactly one), or of the matchers that hold on a text or code answer. Its
maximum is the best raw value possible (single: the best choice; multiple and matchers: the sum of
the positive values). The raw value is floored at 0 and capped at the maximum; with partial credit
the question earns ``points * raw / maximum``, without it all its points only at the maximum and
0 otherwise. A deal-breaker question that does not earn all its points fails the assessment. A
code question without matchers earns nothing automatically and is marked for a reviewer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import regex

from server.hiring.answers import MAX_ANSWER_CHARS, Answer
from server.hiring.challenge_schema import Matcher, QAChallengeSpec, Question, regex_flags

#: How long one regex matcher may take on one answer.
REGEX_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class QuestionScore:
    question_id: str
    earned: float
    possible: float
    deal_breaker_missed: bool
    needs_review: bool


@dataclass(frozen=True, slots=True)
class QAScore:
    earned: float
    possible: float
    questions: tuple[QuestionScore, ...]

    @property
    def score(self) -> float:
        """0-100."""
        return 100.0 * self.earned / self.possible if self.possible > 0 else 0.0

    @property
    def deal_breakers_missed(self) -> tuple[str, ...]:
        return tuple(q.question_id for q in self.questions if q.deal_breaker_missed)


def matcher_holds(matcher: Matcher, text: str) -> bool:
    text = text[:MAX_ANSWER_CHARS]
    if matcher.type == "regex":
        # the ``regex`` engine, for its timeout: an author's pattern that backtracks
        # catastrophically on a crafted answer does not hold the node; it then does not match
        try:
            found = regex.search(matcher.pattern, text, regex_flags(matcher.flags), timeout=REGEX_SECONDS)
        except TimeoutError:
            return False
        return found is not None
    pattern, subject = matcher.pattern, text
    if not matcher.case_sensitive:
        pattern, subject = pattern.casefold(), subject.casefold()
    if matcher.type == "includes":
        return pattern in subject
    if matcher.type == "excludes":
        return pattern not in subject
    return subject.strip() == pattern.strip()


def maximum(question: Question) -> float:
    """The best raw value an answer can reach."""
    if question.kind == "single":
        return max(choice.value for choice in question.choices)
    values: Sequence[float] = (
        [choice.value for choice in question.choices]
        if question.kind == "multiple"
        else [matcher.value for matcher in question.matchers]
    )
    return sum(value for value in values if value > 0)


def raw_value(question: Question, answer: Answer | None) -> float:
    if answer is None:
        return 0.0
    if question.kind in {"single", "multiple"}:
        picked = set(answer.choices)
        known = {choice.id for choice in question.choices}
        if not picked <= known or (question.kind == "single" and len(picked) != 1):
            return 0.0  # an answer the form cannot produce scores nothing
        return sum(choice.value for choice in question.choices if choice.id in picked)
    if not answer.text.strip():
        return 0.0  # an empty answer earns nothing, even from "excludes" matchers
    return sum(matcher.value for matcher in question.matchers if matcher_holds(matcher, answer.text))


def score_question(question: Question, answer: Answer | None) -> QuestionScore:
    best = maximum(question)
    if best <= 0:  # a code question left to a reviewer
        return QuestionScore(question.id, 0.0, 0.0, False, needs_review=True)
    fraction = min(max(raw_value(question, answer), 0.0), best) / best
    if not question.partial_credit:
        fraction = 1.0 if fraction >= 1.0 else 0.0
    missed = question.deal_breaker and fraction < 1.0
    return QuestionScore(question.id, question.points * fraction, question.points, missed, needs_review=False)


def score_answers(spec: QAChallengeSpec, answers: Mapping[str, Answer]) -> QAScore:
    """Every question of ``spec`` scored; answers to unknown questions are ignored."""
    scores = tuple(score_question(question, answers.get(question.id)) for question in spec.questions)
    return QAScore(sum(s.earned for s in scores), sum(s.possible for s in scores), scores)
