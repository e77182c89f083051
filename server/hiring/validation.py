"""``duet challenge validate``, for one challenge: its files load (schema, layout), and in the
sandbox every reference solution passes every test or case while every starter fails at least
one submission test or case. The reference's submission run also says which tests exist: those
are the expected names a submission is scored against."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import anyio

from server.errors import DuetError
from server.exec.runtime.languages import LanguageCatalogue
from server.hiring.challenge import Challenge, LanguageFiles
from server.hiring.challenge_schema import IOScoring, TestsScoring
from server.hiring.folder import read_folder
from server.hiring.judge import Judge
from server.hiring.loader import SPEC_FILE, load_challenge
from server.hiring.problems import ContentInvalid, ContentProblem
from server.hiring.submission import sample_run_files, submission_run_files


@dataclass(slots=True)
class ChallengeCheck:
    """What validating one challenge folder found."""

    folder: Path
    files: dict[str, bytes] = field(default_factory=dict)
    challenge: Challenge | None = None
    problems: list[ContentProblem] = field(default_factory=list)
    #: language -> the submission tests the reference solution reported (tests scoring).
    expected_tests: dict[str, tuple[str, ...]] = field(default_factory=dict)
    runs: int = 0

    @property
    def ok(self) -> bool:
        return self.challenge is not None and not self.problems


def load_folder(folder: Path, catalogue: LanguageCatalogue) -> ChallengeCheck:
    """Read and load ``folder`` without running anything."""
    check = ChallengeCheck(folder)
    try:
        check.files = read_folder(folder)
        check.challenge = load_challenge(check.files, catalogue)
    except ContentInvalid as exc:
        check.problems.extend(exc.problems)
    return check


async def prove_challenge(check: ChallengeCheck, judge: Judge) -> None:
    """Prove a loaded challenge's solutions and starters in the sandbox (Q&A: nothing to run)."""
    challenge = check.challenge
    if challenge is None or challenge.spec.type != "code":
        return
    async with anyio.create_task_group() as tg:
        for files in challenge.languages.values():
            tg.start_soon(_language, check, challenge, files, judge)
    scoring = challenge.code.scoring
    if isinstance(scoring, TestsScoring) and check.expected_tests:
        known = {name for names in check.expected_tests.values() for name in names}
        check.problems.extend(
            ContentProblem(SPEC_FILE, None, f"scoring.weights: no language has a test named {name!r}")
            for name in scoring.weights
            if name not in known
        )
    check.problems.sort()


async def _language(check: ChallengeCheck, challenge: Challenge, files: LanguageFiles, judge: Judge) -> None:
    try:
        if isinstance(challenge.code.scoring, IOScoring):
            await _io_language(check, challenge, files, judge)
        else:
            await _tests_language(check, challenge, files, judge)
    except DuetError as exc:  # the sandbox refused the run (bad files, no engine): a finding
        check.problems.append(ContentProblem(f"{files.language}/", None, f"could not run: {exc.message}"))


async def _tests_language(
    check: ChallengeCheck,
    challenge: Challenge,
    files: LanguageFiles,
    judge: Judge,
) -> None:
    spec, lang = challenge.code, files.language
    reference, starter = files.reference_files(), files.starter_files()
    sample = await judge.test_run(lang, sample_run_files(spec, files, reference), None)
    submitted = await judge.test_run(lang, submission_run_files(spec, files, reference), None)
    check.runs += 2
    for name, run in ((f"{lang}/sample/", sample), (f"{lang}/submission/", submitted)):
        if run.report is None:
            check.problems.append(
                ContentProblem(f"{lang}/solution/", None, f"{run.failure}\n{run.output}".strip())
            )
            continue
        if not run.report.results:
            check.problems.append(ContentProblem(name, None, "the tests reported no result: " + run.output))
        check.problems.extend(
            ContentProblem(name, None, f"the reference solution fails {result.name}: {result.message[:300]}")
            for result in run.report.results
            if result.status != "passed"
        )
    if submitted.report is None or not submitted.report.results:
        return
    expected = tuple(result.name for result in submitted.report.results)
    check.expected_tests[lang] = expected
    started = await judge.test_run(lang, submission_run_files(spec, files, starter), expected)
    check.runs += 1
    if started.report is not None and started.report.all_passed:
        check.problems.append(
            ContentProblem(
                f"{lang}/starter/", None, "the starter passes every submission test: it must fail one"
            )
        )


async def _io_language(
    check: ChallengeCheck, challenge: Challenge, files: LanguageFiles, judge: Judge
) -> None:
    spec, lang = challenge.code, files.language
    reference = await judge.cases(
        challenge, lang, submission_run_files(spec, files, files.reference_files()), challenge.cases
    )
    started = await judge.cases(
        challenge,
        lang,
        submission_run_files(spec, files, files.starter_files()),
        challenge.submission_cases(),
    )
    check.runs += len(reference) + len(started)
    for case, result in zip(challenge.cases, reference, strict=True):  # a name may be in both kinds
        if not result.passed:
            kind = "sample" if case.sample else "submission"
            check.problems.append(
                ContentProblem(
                    f"cases/{kind}/{result.name}.out", None, f"{lang} reference solution: {result.message}"
                )
            )
    if started and all(result.passed for result in started):
        check.problems.append(
            ContentProblem(
                f"{lang}/starter/", None, "the starter passes every submission case: it must fail one"
            )
        )
