"""How a finished run is described to people: the fields every view of a run shares (the REST
API's execution, the control channel's run summary), declared once. Each view extends
``RunOutcome`` with what only it shows."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from server.exec.reports import TestResult, TestStatus
from server.exec.sandbox import RunResult, Status


class TestOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_serialization_defaults_required=True)

    name: str
    status: TestStatus
    message: str
    duration_ms: float | None

    @classmethod
    def of(cls, result: TestResult) -> TestOutcome:
        return cls(
            name=result.name, status=result.status, message=result.message, duration_ms=result.duration_ms
        )


class RunOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_serialization_defaults_required=True)

    status: Status
    exit_code: int | None
    signal: int | None
    wall_ms: int
    cpu_ms: int
    memory_bytes: int
    step: str = Field(description="the step the run ended in: compile or run")
    message: str

    @classmethod
    def of(cls, result: RunResult, **more: Any) -> Self:
        """The outcome of ``result``, plus the fields the view adds (``more``)."""
        return cls(
            status=result.status,
            exit_code=result.exit_code,
            signal=result.signal,
            wall_ms=result.wall_ms,
            cpu_ms=result.cpu_ms,
            memory_bytes=result.memory_bytes,
            step=result.step,
            message=result.message,
            **more,
        )
