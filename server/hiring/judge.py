"""Running a code challenge in the sandbox through the Executor: a test run with the language's
own framework, or one run per input/output case whose stdout the HOST compares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import anyio

from server.exec.executor import ExecutionRequest, Executor
from server.exec.reports import TestReport
from server.hiring.challenge import Challenge, IOCase
from server.hiring.challenge_schema import IOScoring, TestsScoring
from server.hiring.code_scoring import CodeScore, ItemResult, score_cases, score_tests
from server.hiring.io_compare import outputs_match

#: A test run's wall-clock limit (compiling included: compile steps get their own 30 s floor).
TEST_RUN_SECONDS = 30


@dataclass(frozen=True, slots=True)
class TestRun:
    """A test run's per-test report, or why there is none (``failure``: compile error, ...)."""

    __test__ = False  # not a pytest test class

    report: TestReport | None
    failure: str = ""
    output: str = ""


class Judge:
    """Runs challenges on an Executor, at most ``limiter`` runs at once from this judge."""

    def __init__(self, executor: Executor, limiter: anyio.CapacityLimiter, *, group: str = "judge") -> None:
        self.executor = executor
        self.limiter = limiter
        self.group = group

    async def test_run(
        self, language: str, files: Mapping[str, bytes], expected: Sequence[str] | None
    ) -> TestRun:
        async with self.limiter:
            execution = await self.executor.run(
                ExecutionRequest(
                    language=language,
                    files=files,
                    mode="test",
                    expected_tests=expected,
                    limits={"wall_seconds": TEST_RUN_SECONDS, "cpu_seconds": TEST_RUN_SECONDS},
                    session_id=self.group,
                )
            )
        result = execution.result
        output = (result.stdout + result.stderr)[-2000:]
        if execution.tests is None:
            return TestRun(
                None, f"{result.status} in the {result.step} step: {result.message}".strip(), output
            )
        # a run the host found tampered with: its score is void (every test failed), and the
        # evidence is the reason reviewers see; one stopped at a limit before the seal says so
        if execution.tests.tampered:
            evidence = "; ".join(execution.tests.evidence)
            return TestRun(execution.tests, f"tampered: {evidence}".rstrip(": "), output)
        if not execution.tests.verified:
            return TestRun(
                execution.tests, f"unverified: the run ended ({result.status}) before it was sealed", output
            )
        return TestRun(execution.tests, "", output)

    async def case_run(
        self, challenge: Challenge, language: str, files: Mapping[str, bytes], case: IOCase
    ) -> ItemResult:
        scoring = challenge.code.scoring
        assert isinstance(scoring, IOScoring)
        async with self.limiter:
            execution = await self.executor.run(
                ExecutionRequest(
                    language=language,
                    files=files,
                    stdin=case.stdin,
                    mode="run",
                    limits={"wall_seconds": scoring.case_seconds, "cpu_seconds": scoring.case_seconds},
                    session_id=self.group,
                )
            )
        result = execution.result
        if result.status != "ok":
            return ItemResult(case.name, False, case.weight, f"{result.status}: {result.message}".strip())
        if result.stdout_truncated:
            return ItemResult(case.name, False, case.weight, "the output was cut at the output limit")
        if not outputs_match(result.stdout.encode(), case.expected, scoring.compare):
            return ItemResult(case.name, False, case.weight, "wrong output")
        return ItemResult(case.name, True, case.weight)

    async def cases(
        self, challenge: Challenge, language: str, files: Mapping[str, bytes], cases: Sequence[IOCase]
    ) -> list[ItemResult]:
        results: list[ItemResult | None] = [None] * len(cases)

        async def one(index: int, case: IOCase) -> None:
            results[index] = await self.case_run(challenge, language, files, case)

        async with anyio.create_task_group() as tg:
            for index, case in enumerate(cases):
                tg.start_soon(one, index, case)
        return [result for result in results if result is not None]

    async def score(
        self,
        challenge: Challenge,
        language: str,
        files: Mapping[str, bytes],
        expected_tests: Sequence[str],
    ) -> CodeScore:
        """Score already-assembled submission files (``server.hiring.submission``): tests by the
        framework (``expected_tests``: the names the reference solution reported) or every
        scored case by the host."""
        scoring = challenge.code.scoring
        if isinstance(scoring, TestsScoring):
            run = await self.test_run(language, files, expected_tests)
            return score_tests(run.report, expected_tests, scoring.weights, voided=run.failure)
        return score_cases(await self.cases(challenge, language, files, challenge.submission_cases()))
