"""The common per-test result every report format is parsed into, and the scored report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

TestStatus = Literal["passed", "failed", "error"]

#: A report file bigger than this is not parsed (the sandbox caps collected files too).
MAX_REPORT_BYTES = 4 * 1024 * 1024
#: At most this many test results are kept from one report.
MAX_TESTS = 10_000
MAX_MESSAGE_CHARS = 4_000
MAX_NAME_CHARS = 500


@dataclass(frozen=True, slots=True)
class TestResult:
    __test__: ClassVar[bool] = False  # not a pytest test class
    name: str
    status: TestStatus
    message: str = ""
    duration_ms: float | None = None

    @classmethod
    def make(
        cls, name: str, status: TestStatus, message: str = "", duration_ms: float | None = None
    ) -> TestResult:
        """A result with the name and message cut to their caps."""
        if duration_ms is not None and not duration_ms >= 0:  # also rejects NaN
            duration_ms = None
        return cls(name[:MAX_NAME_CHARS], status, message[:MAX_MESSAGE_CHARS], duration_ms)


@dataclass(frozen=True, slots=True)
class ParsedReport:
    """What one report said, in report order, plus why parts of it could not be read."""

    results: tuple[TestResult, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TestReport:
    """The scored outcome of a test run: one result per expected test, in the expected order."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    results: tuple[TestResult, ...]
    #: Names the report contained that were not expected; they are not scored.
    unexpected: tuple[str, ...] = ()
    problems: tuple[str, ...] = field(default=())
    #: The run was tampered with (see ``evidence``): every test is failed, whatever was reported.
    tampered: bool = False
    #: Why the run is tampered: sentences for reviewers (a process that outlived the tests, a
    #: report the harness did not finish or seal, lines it did not write).
    evidence: tuple[str, ...] = ()
    #: False when the host could not verify the report (the run ended at a limit before the harness
    #: sealed it): every test is then failed, without blaming anyone.
    verified: bool = True

    def count(self, status: TestStatus) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def passed(self) -> int:
        return self.count("passed")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def all_passed(self) -> bool:
        return bool(self.results) and self.passed == len(self.results)
