"""A loaded challenge: its validated ``challenge.yaml``, instructions, and per language the
starter, the reference solution, the sample tests and the submission tests (or the input/output
cases). Plain frozen data; ``server.hiring.loader`` builds it from a folder's files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from server.hiring.challenge_schema import Access, CodeChallengeSpec, QAChallengeSpec


@dataclass(frozen=True, slots=True)
class StarterFile:
    path: str
    content: bytes
    access: Access


@dataclass(frozen=True, slots=True)
class LanguageFiles:
    """One language's files, paths relative to the candidate's work directory."""

    language: str
    starter: tuple[StarterFile, ...]
    #: Overlaid on the starter: the reference solution.
    solution: Mapping[str, bytes]
    #: Visible, editable, never scored (tests scoring only).
    sample_tests: Mapping[str, bytes]
    #: Hidden, scored (tests scoring only).
    submission_tests: Mapping[str, bytes]

    def starter_files(self) -> dict[str, bytes]:
        return {file.path: file.content for file in self.starter}

    def reference_files(self) -> dict[str, bytes]:
        """The starter with the reference solution over it."""
        return self.starter_files() | dict(self.solution)


@dataclass(frozen=True, slots=True)
class IOCase:
    """stdin in, expected stdout out; sample cases are shown to the candidate, the others not."""

    name: str
    stdin: bytes
    expected: bytes
    weight: float
    sample: bool


@dataclass(frozen=True, slots=True)
class Challenge:
    spec: CodeChallengeSpec | QAChallengeSpec
    instructions: str
    content_hash: str
    languages: Mapping[str, LanguageFiles]
    cases: tuple[IOCase, ...] = ()

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def code(self) -> CodeChallengeSpec:
        if not isinstance(self.spec, CodeChallengeSpec):
            raise TypeError(f"challenge {self.id!r} is not a code challenge")
        return self.spec

    def submission_cases(self) -> tuple[IOCase, ...]:
        return tuple(case for case in self.cases if not case.sample)
