"""The Executor: what the web layer and the console call to run code.

It turns a request (language, files, stdin, mode, limits) into sandbox steps, hands them to the
Runner (this node's sandbox, or the Redis queue to ``duet worker``s), and in test mode reads the
framework's own report into per-test results.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import anyio
from anyio.abc import ByteReceiveStream

from server.errors import InvalidInput
from server.exec.dispatch.fair_queue import PositionCallback
from server.exec.dispatch.runner import Runner
from server.exec.reports.model import TestReport
from server.exec.reports.scoring import read_test_report
from server.exec.reports.seal import keyed_stdin, new_run_key
from server.exec.runtime.languages import Language, LanguageCatalogue
from server.exec.sandbox import Limits, Mode, OutputSink, RunResult, RunSpec, check_files
from server.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ExecutionRequest:
    language: str
    files: Mapping[str, bytes]
    stdin: bytes = b""
    mode: Mode = "run"
    limits: Mapping[str, float | int] = field(default_factory=dict)
    expected_tests: Sequence[str] | None = None
    session_id: str = ""  # the fairness group; API runs use their own


@dataclass(slots=True)
class Execution:
    language: str
    mode: Mode
    result: RunResult
    limits: Limits
    tests: TestReport | None = None


class Executor:
    def __init__(
        self,
        catalogue: LanguageCatalogue,
        runner: Runner,
        *,
        defaults: Limits = Limits(),
        maxima: Limits = Limits(),
    ) -> None:
        self.catalogue = catalogue
        self.runner = runner
        self.defaults = defaults.within(maxima)
        self.maxima = maxima

    def prepare(self, request: ExecutionRequest, key: bytes = b"") -> tuple[Language, RunSpec]:
        """Validate a request (422/413 on bad input) and build the sandbox run (a test run's stdin
        starts with the run's ``key`` for the harness's guard)."""
        language = self.catalogue.get(request.language)
        limits = self.defaults.merged(request.limits, self.maxima)
        check_files(request.files, limits)
        if request.mode == "test":
            if language.test.test_file not in request.files:
                raise InvalidInput(
                    f"test mode needs the tests in {language.test.test_file!r}",
                    details={"field": "files", "expected": language.test.test_file},
                )
        elif language.source_file not in request.files:
            raise InvalidInput(
                f"{language.display_name} runs {language.source_file!r}: include it in files",
                details={"field": "files", "expected": language.source_file},
            )
        spec = RunSpec(
            files=request.files,
            steps=language.steps(request.mode),
            env=language.environment(),
            limits=limits,
            stdin=keyed_stdin(key, request.stdin) if request.mode == "test" else request.stdin,
            collect=request.mode == "test",
        )
        return language, spec

    async def run(
        self,
        request: ExecutionRequest,
        *,
        on_output: OutputSink | None = None,
        on_position: PositionCallback | None = None,
        stdin_stream: ByteReceiveStream | None = None,
        stop: anyio.Event | None = None,
    ) -> Execution:
        key = new_run_key()  # only this call and the run's guard ever hold it
        language, spec = self.prepare(request, key)
        result = await self.runner.run(
            spec,
            group=request.session_id or "api",
            on_output=on_output,
            on_position=on_position,
            stdin_stream=stdin_stream,
            stop=stop,
        )
        execution = Execution(language.id, request.mode, result, spec.limits)
        if request.mode == "test" and result.status not in {"compile_error", "internal_error"}:
            execution.tests = read_test_report(
                language,
                result.collected,
                request.expected_tests,
                key=key,
                run_status=result.status,
                stopped=result.stopped,
            )
        return execution


def limits_from(settings: Settings) -> Limits:
    """The admin's maxima for any single run."""
    mib = 1024 * 1024
    return Limits(
        wall_seconds=settings.exec_max_wall_seconds,
        cpu_seconds=settings.exec_max_cpu_seconds,
        memory_bytes=settings.exec_max_memory_mb * mib,
        processes=settings.exec_max_processes,
        output_bytes=settings.exec_max_output_mb * mib,
        disk_bytes=settings.exec_max_disk_mb * mib,
        open_files=1024,
    )
