"""A language's steps run through a real engine (bubblewrap or Docker over the real runtime rootfs)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from server.exec.reports import TestReport, read_test_report
from server.exec.reports.seal import keyed_stdin, new_run_key
from server.exec.runtime.languages import Language
from server.exec.sandbox import Engine, Limits, Mode, RunResult, RunSpec


async def run_language(
    engine: Engine,
    language: Language,
    files: Mapping[str, str],
    *,
    mode: Mode = "run",
    stdin: str = "",
    limits: Limits | None = None,
    key: bytes | None = None,
) -> RunResult:
    """Run a language's steps on ``files`` (collecting /results in test mode, where the run's
    ``key`` goes first on stdin, as the Executor sends it: a fresh one unless given)."""
    raw = stdin.encode()
    if mode == "test":
        raw = keyed_stdin(key or new_run_key(), raw)
    spec = RunSpec(
        files={name: content.encode() for name, content in files.items()},
        steps=language.steps(mode),
        env=language.environment(),
        limits=limits or Limits(wall_seconds=60, cpu_seconds=60),
        stdin=raw,
        collect=mode == "test",
    )
    return await engine.run(spec)


async def run_tests(
    engine: Engine,
    language: Language,
    files: Mapping[str, str],
    expected: Sequence[str] | None,
    *,
    limits: Limits | None = None,
    key: bytes | None = None,
) -> tuple[RunResult, TestReport]:
    """A test run scored as the Executor scores it: with its key, so the seal is checked."""
    key = key or new_run_key()
    result = await run_language(engine, language, files, mode="test", limits=limits, key=key)
    return result, read_test_report(language, result.collected, expected, key=key, run_status=result.status)
