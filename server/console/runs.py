"""A run started from the control channel: the files as the server holds them (the live
document, never code a client sends), output streamed to everyone as it comes, stdin and Stop
from writers, the result summed up for everyone at the end."""

from __future__ import annotations

import codecs
import logging
from typing import Any, cast

import anyio
from anyio.abc import ByteReceiveStream
from anyio.streams.memory import MemoryObjectReceiveStream

from server.console.events import ConsoleEvents
from server.console.messages import RunStart
from server.console.session import ConsoleMember, LocalRun, SessionConsole
from server.errors import DuetError, InvalidInput
from server.exec.executor import Execution, ExecutionRequest, Executor
from server.exec.sandbox import Stream
from server.sync.rooms import RoomRegistry

logger = logging.getLogger(__name__)


class ConsoleRuns:
    def __init__(self, executor: Executor, rooms: RoomRegistry, events: ConsoleEvents) -> None:
        self._executor = executor
        self._rooms = rooms
        self._events = events

    async def run(
        self,
        console: SessionConsole,
        member: ConsoleMember,
        message: RunStart,
        run: LocalRun,
        stdin: MemoryObjectReceiveStream[bytes],
    ) -> None:
        """Execute one run to its end. However it ends (a result, a refusal, a failure of
        Duet's own), everyone gets ``run.finished`` and the session may run again."""
        decoders = {s: codecs.getincrementaldecoder("utf-8")("replace") for s in ("stdout", "stderr")}

        async def on_output(stream: Stream, chunk: bytes) -> None:
            text = decoders[stream].decode(chunk)
            if text:
                event = {"type": "run.output", "run_id": run.run_id, "stream": stream, "data": text}
                await self._events.emit_output(console, event, len(chunk))

        def on_position(position: int) -> None:
            event = {"type": "run.queued", "run_id": run.run_id, "position": position}
            self._events.emit(console, event, record=False)

        finished: dict[str, Any] = {"type": "run.finished", "run_id": run.run_id}
        try:
            request, entry = await self._request(console.session_id, message)
            self._events.emit(
                console,
                {
                    "type": "run.started",
                    "run_id": run.run_id,
                    "by": member.name,
                    "mode": message.mode,
                    "file": entry,
                    "language": request.language,
                },
                author=member.participant_id,
            )
            execution = await self._executor.run(
                request,
                on_output=on_output,
                on_position=on_position,
                stdin_stream=cast(
                    ByteReceiveStream, stdin
                ),  # a stream of byte chunks, as ByteReceiveStream's
                stop=run.stop,
            )
            finished["result"] = result_summary(execution)
        except DuetError as exc:
            finished["error"] = exc.message
        except Exception:  # Duet's own failure: this run ends, nothing else does
            logger.exception("a run failed", extra={"session_id": console.session_id})
            finished["error"] = "the run failed on the server; try again"
        finally:
            with anyio.CancelScope(shield=True):
                await run.stdin.aclose()
                await stdin.aclose()
                console.local_run = None
                self._events.emit(console, finished)

    async def _request(self, session_id: str, message: RunStart) -> tuple[ExecutionRequest, str]:
        files, meta = await self._rooms.files(session_id)
        entry = message.file or meta.get("active") or meta.get("main") or ""
        if entry not in files:
            raise InvalidInput(f"there is no file {entry!r} to run")
        language = self._executor.catalogue.get(meta.get(f"lang:{entry}", ""))
        encoded = {path: text.encode() for path, text in files.items()}
        encoded[language.source_file] = encoded[entry]  # the entry file is what the language runs
        return (
            ExecutionRequest(
                language=language.id,
                files=encoded,
                stdin=message.stdin.encode(),
                mode=message.mode,
                session_id=session_id,
            ),
            entry,
        )


def result_summary(execution: Execution) -> dict[str, Any]:
    """What participants see of a finished run (the output itself was streamed)."""
    result = execution.result
    summary: dict[str, Any] = {
        "status": result.status,
        "exit_code": result.exit_code,
        "signal": result.signal,
        "wall_ms": result.wall_ms,
        "cpu_ms": result.cpu_ms,
        "memory_bytes": result.memory_bytes,
        "step": result.step,
        "message": result.message,
        "stopped": result.stopped,
        "truncated": result.stdout_truncated or result.stderr_truncated,
    }
    if execution.tests is not None:
        summary["tests"] = [
            {"name": r.name, "status": r.status, "message": r.message, "duration_ms": r.duration_ms}
            for r in execution.tests.results
        ]
    return summary
