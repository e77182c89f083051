"""What running code means, independent of the isolation engine: limits, the run, the result."""

from __future__ import annotations

import posixpath
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, fields, replace
from typing import Literal, Protocol

import anyio
from anyio.abc import ByteReceiveStream

from server.errors import InvalidInput, PayloadTooLarge
from server.exec.languages.model import Step

Status = Literal[
    "ok", "runtime_error", "compile_error", "time_limit", "memory_limit", "output_limit", "internal_error"
]
Stream = Literal["stdout", "stderr"]

MIB = 1024 * 1024
#: Room in /work beyond the submitted files, for what compilers build (object files, binaries).
BUILD_HEADROOM = 64 * MIB
MAX_FILES = 200
MAX_PATH = 200
MAX_NAME_BYTES = 255  # NAME_MAX: one part of a path, in bytes
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


class Sandbox(Protocol):
    """An isolation engine. ``stdin_stream`` feeds an interactive program after ``spec.stdin``."""

    name: str

    def terminal(self, spec: RunSpec) -> AbstractAsyncContextManager[Terminal]:
        """Run the last step of ``spec`` on a pty (earlier steps are ignored); the program is
        killed when the context exits. Limits apply (CPU time and output bytes over the whole
        session, see ``server.exec.terminal_limits``) except the wall time, which the caller
        owns."""
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


def check_files(files: Mapping[str, bytes], limits: Limits) -> None:
    """Refuse what cannot be written as a work directory before anything is written: paths that
    could escape it, a file that is also another's directory (``a`` and ``a/b``), names longer
    than a file system takes, too many files, and sizes over the disk limit."""
    if len(files) > MAX_FILES:
        raise InvalidInput(f"at most {MAX_FILES} files per run", details={"field": "files"})
    total = 0
    directories: set[str] = set()
    for path, content in files.items():
        check_path(path)
        total += len(content)
        parts = path.split("/")
        directories.update("/".join(parts[:end]) for end in range(1, len(parts)))
    for path in files:
        if path in directories:
            raise InvalidInput(
                f"{path!r} is both a file and a folder of other files",
                details={"field": "files", "path": path[:MAX_PATH]},
            )
    if total > limits.disk_bytes:
        raise PayloadTooLarge(
            f"the files take {total} bytes; the work directory holds {limits.disk_bytes}",
            details={"field": "files"},
        )


def check_path(path: str) -> None:
    where = {"field": "files", "path": path[:MAX_PATH]}
    if not path or len(path) > MAX_PATH or "\x00" in path or "\\" in path:
        raise InvalidInput("file paths must be 1-200 characters, without NUL or backslashes", details=where)
    if path.startswith("/"):
        raise InvalidInput(f"{path!r}: absolute paths are not allowed", details=where)
    parts = path.split("/")
    if any(part in {"", ".", ".."} for part in parts) or posixpath.normpath(path) != path:
        raise InvalidInput(f"{path!r}: empty, '.' and '..' path parts are not allowed", details=where)
    if parts[0] == ".duet":
        raise InvalidInput(f"{path!r}: .duet/ is reserved for build output", details=where)
    try:
        too_long = any(len(part.encode()) > MAX_NAME_BYTES for part in parts)
    except UnicodeEncodeError:  # a lone surrogate: no file system name
        raise InvalidInput(f"{path!r}: not a valid file name", details=where) from None
    if too_long:
        raise InvalidInput(f"each part of a path is at most {MAX_NAME_BYTES} bytes", details=where)


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
