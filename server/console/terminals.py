"""The session's shared terminal: one REPL or shell on a pty in the sandbox, typed into by
writers, seen by everyone.

A terminal is a run: it waits for an execution slot like any run and holds it while open, its
program runs under the run limits with its own CPU-time and output caps (the engine ends it
past them), and it closes after ``idle_seconds`` without input or ``max_seconds`` in all. Its
output reaches participants and the recording at the pace of the session's recording
allowance: what is recorded is what they saw.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream

from server.console.events import ConsoleEvents
from server.console.messages import TerminalOpen
from server.console.session import ConsoleMember, LocalTerminal, SessionConsole
from server.errors import DuetError
from server.exec.executor import Executor
from server.exec.sandbox import RunSpec, Step
from server.sync.rooms import RoomRegistry

logger = logging.getLogger(__name__)

REPLS: dict[str, tuple[str, tuple[str, ...]]] = {  # terminal language -> (runtime, argv)
    "python": ("python", ("python3", "-q")),
    "javascript": ("javascript", ("node",)),
    "bash": ("bash", ("bash", "--norc", "-i")),
}


@dataclass(frozen=True, slots=True)
class TerminalLimits:
    cpu_seconds: float
    output_bytes: int
    idle_seconds: float
    max_seconds: float


class ConsoleTerminals:
    def __init__(
        self, executor: Executor, rooms: RoomRegistry, events: ConsoleEvents, limits: TerminalLimits
    ) -> None:
        self._executor = executor
        self._rooms = rooms
        self._events = events
        self._limits = limits

    async def open(self, console: SessionConsole, member: ConsoleMember, message: TerminalOpen) -> None:
        """Open the terminal and keep it until it closes. However it ends, everyone gets
        ``terminal.closed`` (``failed`` when it never opened) and the session may open another."""
        runtime, argv = REPLS[message.language]
        send, receive = anyio.create_memory_object_stream[bytes](256)
        opened = False
        closed: dict[str, Any] = {"type": "terminal.closed"}
        try:
            language = self._executor.catalogue.get(runtime)
            files, _ = await self._rooms.files(console.session_id)
            limits = replace(
                self._executor.defaults,
                cpu_seconds=self._limits.cpu_seconds,
                output_bytes=self._limits.output_bytes,
            )
            spec = RunSpec(
                files={p: t.encode() for p, t in files.items()},
                steps=[Step("run", argv)],
                env=language.environment(),
                limits=limits,
            )
            async with self._executor.runner.terminal(spec, group=console.session_id) as terminal:
                handle = LocalTerminal(terminal, send)
                console.local_terminal = handle
                await terminal.resize(message.rows, message.cols)
                self._events.emit(
                    console,
                    {"type": "terminal.opened", "language": message.language, "by": member.name},
                    author=member.participant_id,
                )
                opened = True
                closed["reason"] = await self._drive(console, handle, receive)
                if terminal.ended_by:
                    closed["reason"] = terminal.ended_by
        except DuetError as exc:
            self._events.to_participant(
                console,
                member.participant_id,
                {"type": "error", "message": exc.message, "request": "terminal.open"},
            )
        except Exception:  # Duet's own failure: this terminal ends, nothing else does
            logger.exception("a terminal failed", extra={"session_id": console.session_id})
            self._events.to_participant(
                console,
                member.participant_id,
                {"type": "error", "message": "the terminal failed on the server", "request": "terminal.open"},
            )
        finally:
            with anyio.CancelScope(shield=True):
                await send.aclose()
                await receive.aclose()
                console.local_terminal = None
                if opened:
                    self._events.emit(console, closed)
                else:
                    self._events.emit(console, {**closed, "failed": True}, record=False)

    async def _drive(
        self, console: SessionConsole, handle: LocalTerminal, keys: MemoryObjectReceiveStream[bytes]
    ) -> str:
        """Pass keys in and output out until the program ends, the terminal is closed, or a
        time limit is reached; returns why it ended, when the host ended it."""
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        why: list[str] = []

        async def output() -> None:
            while data := await handle.terminal.read():
                text = decoder.decode(data)
                if text:
                    await self._events.emit_output(
                        console, {"type": "terminal.output", "data": text}, len(data)
                    )

        async def typing() -> None:
            async for data in keys:
                event = {"type": "terminal.input", "data": data.decode("utf-8", "replace")}
                self._events.record_within_budget(console, event)
                await handle.terminal.write(data)

        async def idle_watch() -> None:
            while True:
                with anyio.move_on_after(self._limits.idle_seconds) as idle:
                    await handle.typed.wait()
                if idle.cancelled_caught:
                    why.append(f"closed after {self._limits.idle_seconds:g} s without input")
                    return
                handle.typed = anyio.Event()

        with anyio.move_on_after(self._limits.max_seconds) as deadline:
            async with anyio.create_task_group() as tg:

                async def until(task: Callable[[], Awaitable[None]]) -> None:
                    await task()
                    tg.cancel_scope.cancel()

                tg.start_soon(until, output)
                tg.start_soon(until, idle_watch)
                tg.start_soon(until, handle.close.wait)
                tg.start_soon(typing)
        if deadline.cancelled_caught:
            why.append(f"closed after {self._limits.max_seconds:g} s, the longest a terminal stays open")
        return why[0] if why else ""
