"""What running code means, independent of the isolation engine: limits, the run, the result,
and what an engine and a terminal are."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, fields, replace
from typing import Literal, Protocol

import anyio
from anyio.abc import ByteReceiveStream

from server.errors import InvalidInput

Status = Literal[
    "ok", "runtime_error", "compile_error", "time_limit", "memory_limit", "output_limit", "internal_error"
]
Stream = Literal["stdout", "stderr"]
StepName = Literal["compile", "run"]
#: A plain run of the program, or a run of its tests (the language's framework, ``collect``).
Mode = Literal["run", "test"]

#: The program's files live here; it is the current directory of every step.
WORK_DIR = "/work"
#: A directory the host creates fresh for each test run, outside the work directory.
RESULTS_DIR = "/results"

MIB = 1024 * 1024
#: Room in /work beyond the submitted files, for what compilers build (object files, binaries).
BUILD_HEADROOM = 64 * MIB
TRUNCATION_MARKER = "\n[output truncated at {limit} bytes]\n"


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-run limits. A request may lower them, or raise them up to the admin's maxima."""

    wall_seconds: float = 10.0
    cpu_seconds: float = 10.0
    memory_bytes: int = 256 * MIB
    processes: int = 64
    output_bytes: int = 1 * MIB  # per stream
    disk_bytes: int = 16 * MIB  # the work directory
    open_files: int = 256

    @property
    def work_bytes(self) -> int:
        """The size of /work: the files' limit plus room for build output."""
        return self.disk_bytes + BUILD_HEADROOM

    def for_compile(self) -> Limits:
        """Compilers (javac, tsc, rustc) get more room than programs: at least 1 GiB, 128
        processes and 30 s; the run step keeps the requested limits."""
        return replace(
            self,
            memory_bytes=max(self.memory_bytes, 1024 * MIB),
            processes=max(self.processes, 128),
            wall_seconds=max(self.wall_seconds, 30.0),
            cpu_seconds=max(self.cpu_seconds, 30.0),
        )

    def for_step(self, name: str) -> Limits:
        return self.for_compile() if name == "compile" else self

    def within(self, maxima: Limits) -> Limits:
        """These limits, each capped at ``maxima``."""
        return Limits(**{f.name: min(getattr(self, f.name), getattr(maxima, f.name)) for f in fields(self)})

    def merged(self, requested: Mapping[str, float | int], maxima: Limits) -> Limits:
        """Apply a request's overrides; unknown names, non-positive or over-maximum values are refused."""
        known = {f.name for f in fields(self)}
        changes: dict[str, float | int] = {}
        for name, value in requested.items():
            if name not in known:
                raise InvalidInput(f"unknown limit {name!r}", details={"field": f"limits.{name}"})
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise InvalidInput(
                    f"limit {name!r} must be a positive number", details={"field": f"limits.{name}"}
                )
            ceiling = getattr(maxima, name)
            if value > ceiling:
                raise InvalidInput(
                    f"limit {name!r} may be at most {ceiling}",
                    details={"field": f"limits.{name}", "max": ceiling},
                )
            changes[name] = type(getattr(self, name))(value)
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Step:
    """One command run in the work directory; a compile step failing means ``compile_error``."""

    name: StepName
    argv: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RunSpec:
    """One run: files written into ``/work``, then ``steps`` run in order (a failing compile step
    ends the run with ``compile_error``). ``collect`` gives the steps a fresh ``/results``."""

    files: Mapping[str, bytes]
    steps: Sequence[Step]
    env: Mapping[str, str]
    limits: Limits = field(default_factory=Limits)
    stdin: bytes = b""
    collect: bool = False


@dataclass(slots=True)
class RunResult:
    status: Status
    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = None
    signal: int | None = None
    wall_ms: int = 0
    cpu_ms: int = 0
    memory_bytes: int = 0
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    step: str = "run"
    message: str = ""
    stopped: bool = False
    collected: dict[str, bytes] = field(default_factory=dict)


#: Receives output as it is produced (already capped): (stream, chunk).
OutputSink = Callable[[Stream, bytes], Awaitable[None]]


class Terminal(Protocol):
    """A program on a pseudo-terminal inside the sandbox (a REPL or a shell)."""

    @property
    def ended_by(self) -> str:
        """Why the host ended the program (a limit it reached), or "" when it did not."""
        ...

    async def read(self) -> bytes:
        """The next output bytes; ``b""`` once the program has ended."""
        ...

    async def write(self, data: bytes) -> None: ...

    async def resize(self, rows: int, cols: int) -> None: ...


class Engine(Protocol):
    """An isolation engine (``server.exec.engines``): each run, and each terminal, in a sandbox of
    its own, used once. ``stdin_stream`` feeds an interactive program after ``spec.stdin``."""

    name: str

    def terminal(self, spec: RunSpec) -> AbstractAsyncContextManager[Terminal]:
        """Run the last step of ``spec`` on a pty (earlier steps are ignored); the program is
        killed when the context exits. Limits apply (CPU time and output bytes over the whole
        session, see ``server.exec.sandbox.terminal_limits``) except the wall time, which the
        caller owns."""
        ...

    async def run(
        self,
        spec: RunSpec,
        *,
        on_output: OutputSink | None = None,
        stdin_stream: ByteReceiveStream | None = None,
        stop: anyio.Event | None = None,
    ) -> RunResult:
        """Run ``spec``; setting ``stop`` ends it at once (``stopped`` is then true)."""
        ...


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
