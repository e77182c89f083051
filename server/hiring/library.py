"""A content library on disk: ``challenges/<id>/`` folders and ``assessments/<id>.yaml`` files
(the repository's own is the top-level ``assessments/``). ``validate_path`` checks a library, one
challenge folder or one assessment file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import anyio

from server.exec.runtime.languages import LanguageCatalogue
from server.hiring.assessment import check_assessment, load_assessment
from server.hiring.assessment_schema import AssessmentSpec
from server.hiring.challenge import Challenge
from server.hiring.judge import Judge
from server.hiring.loader import SPEC_FILE
from server.hiring.problems import ContentInvalid, ContentProblem
from server.hiring.validation import ChallengeCheck, load_folder, prove_challenge

CHALLENGES_DIR = "challenges"
ASSESSMENTS_DIR = "assessments"


@dataclass(slots=True)
class AssessmentCheck:
    path: Path
    text: str
    spec: AssessmentSpec | None = None
    problems: list[ContentProblem] = field(default_factory=list)


@dataclass(slots=True)
class LibraryCheck:
    challenges: list[ChallengeCheck] = field(default_factory=list)
    assessments: list[AssessmentCheck] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Every problem as ``path[:line]: message``, paths as given."""
        out: list[str] = []
        for check in self.challenges:
            out.extend(_line(check.folder / p.file, p) for p in check.problems)
        for assessment in self.assessments:
            out.extend(_line(assessment.path, p) for p in assessment.problems)
        return out

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.challenges) and all(a.spec and not a.problems for a in self.assessments)

    @property
    def runnable(self) -> bool:
        """Some loaded code challenge has something to prove in the sandbox."""
        return any(c.challenge is not None and c.challenge.spec.type == "code" for c in self.challenges)


def _line(path: Path, problem: ContentProblem) -> str:
    return f"{path}{'' if problem.line is None else f':{problem.line}'}: {problem.message}"


def challenge_folders(path: Path) -> list[Path]:
    if (path / SPEC_FILE).is_file():
        return [path]
    root = path / CHALLENGES_DIR
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def assessment_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    root = path / ASSESSMENTS_DIR
    return sorted(root.glob("*.yaml")) if root.is_dir() else []


def library_of(assessment_file: Path) -> Path:
    """The library an assessment file belongs to: ``<library>/assessments/<id>.yaml``."""
    return assessment_file.parent.parent


def scan_path(path: Path, catalogue: LanguageCatalogue) -> LibraryCheck:
    """Load what ``path`` is (a library, a challenge folder or an assessment file) without
    running anything: schemas, layouts, references between files."""
    check = LibraryCheck()
    alone = path.is_file()  # an assessment file: its library's challenges are loaded, not listed
    loaded_checks = [
        load_folder(folder, catalogue) for folder in challenge_folders(library_of(path) if alone else path)
    ]
    for result in loaded_checks:
        if result.challenge is not None and result.challenge.id != result.folder.name:
            result.problems.append(
                ContentProblem(SPEC_FILE, 1, f"id {result.challenge.id!r} differs from the folder's name")
            )
    check.challenges = [c for c in loaded_checks if not (alone and c.ok)]
    loaded = {c.challenge.id: c.challenge for c in loaded_checks if c.challenge is not None}
    check.assessments = [_assessment(file, loaded) for file in assessment_files(path)]
    if not loaded_checks and not check.assessments:
        check.assessments.append(
            AssessmentCheck(
                path, "", None, [ContentProblem("", None, "no challenge or assessment found here")]
            )
        )
    return check


async def prove(check: LibraryCheck, judge: Judge) -> None:
    """Run every loaded challenge of ``check`` in the sandbox (at most the judge's limit at once)."""
    async with anyio.create_task_group() as tg:
        for challenge in check.challenges:
            tg.start_soon(prove_challenge, challenge, judge)


def _assessment(file: Path, challenges: dict[str, Challenge]) -> AssessmentCheck:
    text = file.read_text()
    found = AssessmentCheck(file, text)
    try:
        found.spec = load_assessment(text, "")
    except ContentInvalid as exc:
        found.problems.extend(exc.problems)
        return found
    found.problems.extend(check_assessment(found.spec, text, "", challenges))
    if found.spec.id != file.stem:
        found.problems.append(ContentProblem("", 1, f"id {found.spec.id!r} differs from the file's name"))
    return found
