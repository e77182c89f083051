"""A candidate's answer to one Q&A question: the choices picked, or the text (or code) written."""

from __future__ import annotations

from dataclasses import dataclass

#: Longer free-text answers are cut before matching (a regex never sees more).
MAX_ANSWER_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class Answer:
    question_id: str
    choices: tuple[str, ...] = ()
    text: str = ""
