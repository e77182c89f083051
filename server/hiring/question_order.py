"""The order a candidate sees a Q&A challenge's questions and choices in: shuffled, and the same
every time for one attempt (seeded by the attempt's id, i.e. its session id), so reloading the
page never reorders anything while two candidates see different orders."""

from __future__ import annotations

import hashlib
import random

from server.hiring.challenge_schema import QAChallengeSpec, Question


def _rng(*seed: str) -> random.Random:
    digest = hashlib.sha256("\x00".join(seed).encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))  # an order, not a secret


def ordered_questions(spec: QAChallengeSpec, attempt_id: str) -> tuple[Question, ...]:
    """The questions in this attempt's order, each with its choices in this attempt's order."""
    if not spec.shuffle:
        return tuple(spec.questions)
    questions = list(spec.questions)
    _rng(attempt_id, spec.id).shuffle(questions)
    ordered = []
    for question in questions:
        choices = list(question.choices)
        _rng(attempt_id, spec.id, question.id).shuffle(choices)
        ordered.append(question.model_copy(update={"choices": choices}))
    return tuple(ordered)
