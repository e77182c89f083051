"""The schema of ``challenge.yaml``: pydantic models (``CHALLENGE_SCHEMA.json_schema()`` is the
JSON Schema). A code challenge is scored by the language's unit tests or by input/output cases; a
Q&A challenge lists questions."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    field_validator,
    model_validator,
)

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
Access = Literal["editable", "read-only", "hidden"]
Language = Literal[
    "python", "javascript", "typescript", "java", "c", "cpp", "go", "ruby", "rust", "php", "bash", "sql"
]

#: Regex flags a matcher may set (re.I, re.M, re.S, re.X).
REGEX_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileRule(_Strict):
    """Who sees a starter file: ``path`` is a shell-style pattern (``*`` also crosses ``/``)."""

    path: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    access: Access


class TestsScoring(_Strict):
    """Scored by the language's own framework: weighted passed / total of the submission tests."""

    type: Literal["tests"]
    #: Test name (as the framework reports it) -> weight; every other test weighs 1.
    weights: dict[str, Annotated[float, Field(gt=0, le=1000)]] = {}


class Comparison(_Strict):
    """How the host compares a program's stdout with the expected output."""

    mode: Literal["exact", "trimmed", "tokens", "numeric"] = "trimmed"
    #: numeric mode: two numbers match when within this absolute OR relative difference.
    tolerance: Annotated[float, Field(ge=0, le=1)] = 1e-6


class IOScoring(_Strict):
    """Scored by input/output cases (``cases/sample`` and ``cases/submission``), compared by the
    host outside the sandbox."""

    type: Literal["io"]
    compare: Comparison = Comparison()
    #: Case name -> weight; every other case weighs 1.
    weights: dict[str, Annotated[float, Field(gt=0, le=1000)]] = {}
    #: Wall-clock limit of one case's run.
    case_seconds: Annotated[float, Field(gt=0, le=30)] = 10


class CodeChallengeSpec(_Strict):
    id: Slug
    title: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    type: Literal["code"]
    difficulty: Literal["easy", "medium", "hard"]
    summary: Annotated[str, StringConstraints(max_length=500)] = ""
    time_limit_minutes: Annotated[int, Field(gt=0, le=600)] | None = None
    languages: Annotated[list[Language], Field(min_length=1)]
    scoring: Annotated[TestsScoring | IOScoring, Field(discriminator="type")]
    #: Per-file access of the starter files, first match wins; unmatched files are editable.
    files: Annotated[list[FileRule], Field(max_length=200)] = []
    #: Paths (patterns) never taken from a submission: tests a candidate writes never score.
    ignore_at_submission: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=200)]], Field(max_length=100)
    ] = []

    @field_validator("languages")
    @classmethod
    def _distinct_languages(cls, value: list[Language]) -> list[Language]:
        if len(set(value)) != len(value):
            raise ValueError("a language is listed twice")
        return value


class Choice(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
    text: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    #: What choosing it is worth (negative: a penalty). A question's total is floored at 0.
    value: Annotated[float, Field(ge=-1000, le=1000)] = 0


class Matcher(_Strict):
    """A rule on a free-text (or code) answer, worth ``value`` when it holds."""

    type: Literal["includes", "excludes", "equals", "regex"]
    pattern: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    value: Annotated[float, Field(ge=-1000, le=1000)] = 1
    #: includes / excludes / equals: compare case-sensitively (default: not).
    case_sensitive: bool = False
    #: regex only: letters of i, m, s, x.
    flags: Annotated[str, StringConstraints(pattern=r"^[imsx]*$")] = ""

    @model_validator(mode="after")
    def _regex_compiles(self) -> Matcher:
        if self.type != "regex":
            if self.flags:
                raise ValueError("flags are for regex matchers")
            return self
        try:
            re.compile(self.pattern, regex_flags(self.flags))
        except re.error as exc:
            raise ValueError(f"the regex does not compile: {exc}") from None
        return self


def regex_flags(letters: str) -> int:
    flags = 0
    for letter in letters:
        flags |= REGEX_FLAGS[letter]
    return flags


class Question(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
    kind: Literal["single", "multiple", "text", "code"]
    prompt: Annotated[str, StringConstraints(min_length=1, max_length=4000)]
    #: What the question weighs in its challenge.
    points: Annotated[float, Field(gt=0, le=1000)] = 1
    #: Missing it (less than full marks) fails the whole assessment.
    deal_breaker: bool = False
    #: Off: all or nothing.
    partial_credit: bool = True
    choices: Annotated[list[Choice], Field(max_length=50)] = []
    matchers: Annotated[list[Matcher], Field(max_length=50)] = []
    #: code answers: the editor's language.
    language: Language | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.kind in {"single", "multiple"}:
            if len(self.choices) < 2:
                raise ValueError(f"a {self.kind} choice question needs at least two choices")
            if len({choice.id for choice in self.choices}) != len(self.choices):
                raise ValueError("two choices have the same id")
            if self.matchers:
                raise ValueError("choice questions are scored by their choices' values, not matchers")
            if not any(choice.value > 0 for choice in self.choices):
                raise ValueError("no choice is worth anything: give the right one(s) a positive value")
        else:
            if self.choices:
                raise ValueError(f"a {self.kind} question has no choices")
            if self.kind == "text" and not any(matcher.value > 0 for matcher in self.matchers):
                raise ValueError("a text question needs a matcher with a positive value")
        if self.language is not None and self.kind != "code":
            raise ValueError("language is for code questions")
        if self.deal_breaker and self.kind == "code" and not self.matchers:
            raise ValueError("a deal-breaker must be scored automatically: give it matchers")
        return self


class QAChallengeSpec(_Strict):
    id: Slug
    title: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    type: Literal["qa"]
    summary: Annotated[str, StringConstraints(max_length=500)] = ""
    time_limit_minutes: Annotated[int, Field(gt=0, le=600)] | None = None
    #: Questions (and their choices) in an order of their own per candidate, stable per attempt.
    shuffle: bool = True
    questions: Annotated[list[Question], Field(min_length=1, max_length=200)]

    @field_validator("questions")
    @classmethod
    def _distinct_ids(cls, value: list[Question]) -> list[Question]:
        if len({question.id for question in value}) != len(value):
            raise ValueError("two questions have the same id")
        return value


ChallengeSpec = Annotated[CodeChallengeSpec | QAChallengeSpec, Field(discriminator="type")]
CHALLENGE_SCHEMA: TypeAdapter[CodeChallengeSpec | QAChallengeSpec] = TypeAdapter(ChallengeSpec)
