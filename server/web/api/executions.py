"""/api/v1/executions: run code in the sandbox; /api/v1/runtimes: what can run here."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from server.accounts.permissions import can_run_code, require
from server.errors import InvalidInput
from server.exec.executor import Execution, ExecutionRequest
from server.exec.outcome import RunOutcome, TestOutcome
from server.exec.sandbox import Mode
from server.web.api.schemas import numbers_only
from server.web.auth import ApiPrincipal, ServicesDep
from server.web.problems import Problem

router = APIRouter(prefix="/api/v1", tags=["executions"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The request cannot be parsed."},
    401: {"model": Problem, "description": "Missing, invalid or revoked API key."},
    403: {"model": Problem, "description": "Your role does not run code (reviewers)."},
    404: {"model": Problem, "description": "Unknown language."},
    413: {"model": Problem, "description": "The files are larger than the work directory."},
    422: {"model": Problem, "description": "The request is malformed (paths, limits, missing files)."},
    503: {
        "model": Problem,
        "description": "Code cannot run now (no sandbox engine, no worker, or no worker took it in time).",
    },
}

Seconds = Annotated[float, Field(ge=0.001)]
Count = Annotated[int, Field(ge=1), BeforeValidator(numbers_only)]
MemoryBytes = Annotated[int, Field(ge=1024 * 1024), BeforeValidator(numbers_only)]
OpenFiles = Annotated[int, Field(ge=16), BeforeValidator(numbers_only)]


class FileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1, max_length=200, examples=["main.py"])
    content: str = Field(max_length=16 * 1024 * 1024, examples=["print('hello')"])
    encoding: Literal["utf-8", "base64"] = "utf-8"


class LimitsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    wall_seconds: Seconds | None = None
    cpu_seconds: Seconds | None = None
    memory_bytes: MemoryBytes | None = None
    processes: Count | None = None
    output_bytes: Count | None = None
    disk_bytes: Count | None = None
    open_files: OpenFiles | None = None


class ExecutionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: str = Field(min_length=1, max_length=32, examples=["python"])
    files: list[FileIn] = Field(min_length=1, max_length=200)
    stdin: str = Field(default="", max_length=1024 * 1024)
    mode: Mode = "run"
    limits: LimitsIn = Field(default_factory=LimitsIn)
    expected_tests: list[str] | None = Field(
        default=None,
        max_length=1000,
        description="Test names that must report; any that does not counts as failed.",
    )


class TestsOut(BaseModel):
    passed: int
    failed: int
    errors: int
    results: list[TestOutcome]
    unexpected: list[str]
    tampered: bool = Field(
        description="the harness did not finish or seal the report, a process outlived it, or the "
        "report holds lines it did not write: every test failed (see evidence)"
    )
    evidence: list[str] = Field(description="what the host saw, for reviewers")
    verified: bool = Field(
        description="false when the run ended at a limit before its report could be verified: "
        "every test failed"
    )


class ExecutionOut(RunOutcome):
    """The run's outcome (``RunOutcome``, as participants see it too), its output and limits."""

    language: str
    mode: Mode
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    limits: dict[str, float]
    tests: TestsOut | None


class RuntimeOut(BaseModel):
    language: str
    name: str
    version: str
    source_file: str
    test_framework: str
    test_file: str


class RuntimesOut(BaseModel):
    engine: str
    available: bool
    reason: str
    runtimes: list[RuntimeOut]


def _files(files: list[FileIn]) -> dict[str, bytes]:
    decoded: dict[str, bytes] = {}
    for item in files:
        if item.path in decoded:
            raise InvalidInput(f"{item.path!r} appears twice", details={"field": "files"})
        if item.encoding == "base64":
            try:
                decoded[item.path] = base64.b64decode(item.content, validate=True)
            except ValueError as exc:  # binascii.Error, or non-ASCII text
                raise InvalidInput(f"{item.path!r} is not valid base64", details={"field": "files"}) from exc
        else:
            decoded[item.path] = item.content.encode("utf-8", errors="surrogatepass")
    return decoded


def execution_out(execution: Execution) -> ExecutionOut:
    result, report, limits = execution.result, execution.tests, execution.limits
    tests = None
    if report is not None:
        tests = TestsOut(
            passed=report.passed,
            failed=report.failed,
            errors=report.errors,
            results=[TestOutcome.of(r) for r in report.results],
            unexpected=list(report.unexpected),
            tampered=report.tampered,
            evidence=list(report.evidence),
            verified=report.verified,
        )
    return ExecutionOut.of(
        result,
        language=execution.language,
        mode=execution.mode,
        stdout=result.stdout,
        stderr=result.stderr,
        stdout_truncated=result.stdout_truncated,
        stderr_truncated=result.stderr_truncated,
        limits={name: float(getattr(limits, name)) for name in limits.__dataclass_fields__},
        tests=tests,
    )


@router.post("/executions", summary="Run code in the sandbox", responses=ERRORS)
async def create_execution(body: ExecutionIn, principal: ApiPrincipal, svc: ServicesDep) -> ExecutionOut:
    require(can_run_code(principal.role), "run code")
    request = ExecutionRequest(
        language=body.language,
        files=_files(body.files),
        stdin=body.stdin.encode("utf-8", errors="surrogatepass"),
        mode=body.mode,
        limits={k: v for k, v in body.limits.model_dump().items() if v is not None},
        expected_tests=body.expected_tests,
        session_id=f"api:{principal.user.id}",
    )
    return execution_out(await svc.executor.run(request))


@router.get("/runtimes", summary="The languages this server runs", responses={401: ERRORS[401]})
async def runtimes(principal: ApiPrincipal, svc: ServicesDep) -> RuntimesOut:
    executor = svc.executor
    status = await executor.runner.status()
    return RuntimesOut(
        engine=status.engine,
        available=status.available,
        reason=status.reason,
        runtimes=[
            RuntimeOut(
                language=language.id,
                name=language.display_name,
                version=status.versions.get(language.id, ""),
                source_file=language.source_file,
                test_framework=language.test.framework,
                test_file=language.test.test_file,
            )
            for language in executor.catalogue
        ],
    )
