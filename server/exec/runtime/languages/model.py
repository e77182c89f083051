"""The immutable description of one language runtime: packages, commands and test harness.

Every path here is a path INSIDE the sandbox. The sandbox gives the program a writable work
directory (``WORK_DIR``), a fresh writable results directory the host created for this run
(``RESULTS_DIR``, only for test runs; both defined by the sandbox core,
``server.exec.sandbox.model``), a read-only root file system that contains the Debian
packages of every language plus the harness support files under ``HARNESS_DIR``, and a tmpfs
``/tmp`` that is also ``HOME`` and ``TMPDIR``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from server.exec.sandbox.model import RESULTS_DIR, WORK_DIR, Mode, Step

__all__ = [
    "BASE_ENV",
    "BUILD_DIR",
    "GUARD",
    "HARNESS_DIR",
    "RESULTS_DIR",
    "WORK_DIR",
    "Language",
    "ReportFormat",
    "TestHarness",
]

#: Harness support files, installed read-only into the runtime root file system.
HARNESS_DIR = "/opt/duet/harness"
#: The report guard every test run step runs under (``harness/guard/guard.py``): it reads the
#: run's key from stdin, runs the framework, ends whatever outlives it and seals /results.
GUARD: tuple[str, ...] = ("/usr/bin/python3", "-I", "-S", f"{HARNESS_DIR}/guard/guard.py")
#: Where compilers put what they build (inside the work directory, so it survives between steps).
BUILD_DIR = "/work/.duet"

#: The environment every step starts from; a language adds its own variables on top.
BASE_ENV: tuple[tuple[str, str], ...] = (
    ("PATH", "/usr/local/bin:/usr/bin:/bin"),
    ("HOME", "/tmp"),
    ("TMPDIR", "/tmp"),
    ("LANG", "C.UTF-8"),
    ("LC_ALL", "C.UTF-8"),
)


class ReportFormat(StrEnum):
    """The machine-readable report a test harness writes into ``RESULTS_DIR``."""

    #: JUnit/Ant XML (bats' JUnit formatter).
    JUNIT_XML = "junit-xml"
    #: GoogleTest ``--gtest_output=json:``.
    GTEST_JSON = "gtest-json"
    #: ``go tool test2json`` events, one JSON object per line.
    GO_TEST_JSON = "go-test-json"
    #: Rust libtest: ``--logfile`` verdicts plus the JSON event stream for failure messages.
    LIBTEST = "libtest"
    #: Duet's own reporter lines ``{"name", "status", "message", "duration_ms"}`` (pytest plugin,
    #: node:test reporter, minitest reporter, JUnit listener, PHPUnit hooks, SQL harness), ended by
    #: a MACed ``{"duet_end": ...}`` record.
    DUET_JSONL = "duet-jsonl"
    #: cmocka's JUnit-like XML (``CMOCKA_MESSAGE_OUTPUT=xml``).
    CMOCKA_XML = "cmocka-xml"


@dataclass(frozen=True, slots=True)
class TestHarness:
    """How to run a test file with the language's native framework.

    ``test_file`` is the name the caller gives the tests in the work directory, next to the
    candidate's ``source_file``. ``report_files`` are the files the framework writes into
    ``RESULTS_DIR``; nothing else is read.
    """

    __test__: ClassVar[bool] = False  # not a pytest test class

    framework: str
    test_file: str
    run: tuple[str, ...]
    report: ReportFormat
    report_files: tuple[str, ...]
    compile: tuple[str, ...] | None = None
    #: False when the framework has no notion of an error distinct from a failure (bats).
    reports_errors: bool = True
    #: True when Duet's own reporter runs in the framework's process (pytest, minitest, node:test,
    #: JUnit, PHPUnit, the SQL harness): the guard gives it a key on fd 3, and it ends its report with a MACed
    #: end record (``server/exec/reports/seal.py``).
    reporter_key: bool = False


@dataclass(frozen=True, slots=True)
class Language:
    """One language: what to install, how to build and run a program, how to run its tests."""

    id: str
    display_name: str
    #: Debian (bookworm) packages this language needs in the runtime root file system.
    packages: tuple[str, ...]
    #: The file the candidate's program is written to in the work directory.
    source_file: str
    run: tuple[str, ...]
    #: Prints the version of the compiler or interpreter (first line is shown to users).
    version: tuple[str, ...]
    test: TestHarness
    compile: tuple[str, ...] | None = None
    #: Extra environment variables, on top of ``BASE_ENV``.
    env: tuple[tuple[str, str], ...] = ()

    def environment(self) -> dict[str, str]:
        """The full environment of every step of this language."""
        return dict(BASE_ENV) | dict(self.env)

    def steps(self, mode: Mode) -> tuple[Step, ...]:
        """The commands to run, in order, for a plain run or a test run."""
        if mode == "run":
            compile_argv, run_argv = self.compile, self.run
        else:
            compile_argv, run_argv = self.test.compile, self.test.run
        steps: list[Step] = []
        if compile_argv is not None:
            steps.append(Step("compile", compile_argv))
        if mode == "test":
            flags = ("--reporter-key",) if self.test.reporter_key else ()
            run_argv = (*GUARD, *flags, "--", *run_argv)
        steps.append(Step("run", run_argv))
        return tuple(steps)
