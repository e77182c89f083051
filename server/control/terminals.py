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

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream

from server.control.commands import TerminalOpen
from server.control.delivery import ControlDelivery
from server.control.events import ErrorNotice, TerminalClosed, TerminalOpened, TerminalOutput, TerminalTyped
from server.control.session import ControlMember, LocalTerminal, SessionChannel
from server.errors import DuetError
from server.exec.executor import Executor
from server.exec.sandbox import RunSpec, Step
from server.sync.rooms import RoomRegistry

logger = logging.getLogger(__name__)

REPLS: dict[str, tuple[str, tuple[str, ...]]] = {  # terminal -> (the catalogue's language, argv)
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


class ControlTerminals:
    def __init__(
        self, executor: Executor, rooms: RoomRegistry, delivery: ControlDelivery, limits: TerminalLimits
    ) -> None:
        self._executor = executor
        self._rooms = rooms
        self._delivery = delivery
        self._limits = limits

    async def open(self, channel: SessionChannel, member: ControlMember, message: TerminalOpen) -> None:
        """Open the terminal and keep it until it closes. However it ends, everyone gets
        ``terminal.closed`` (``failed`` when it never opened) and the session may open another."""
        language_id, argv = REPLS[message.language]
        send, receive = anyio.create_memory_object_stream[bytes](256)
        opened = False
        reason = ""
        try:
            language = self._executor.catalogue.get(language_id)
            files, _ = await self._rooms.files(channel.session_id)
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
            async with self._executor.runner.terminal(spec, group=channel.session_id) as terminal:
                handle = LocalTerminal(terminal, send)
                channel.local_terminal = handle
                await terminal.resize(message.rows, message.cols)
                opened_event = TerminalOpened(language=message.language, by=member.name)
                self._delivery.emit(channel, opened_event, author=member.participant_id)
                opened = True
                reason = await self._drive(channel, handle, receive)
                reason = terminal.ended_by or reason
        except DuetError as exc:
            error = ErrorNotice(message=exc.message, request="terminal.open")
            self._delivery.to_participant(channel, member.participant_id, error)
        except Exception:  # Duet's own failure: this terminal ends, nothing else does
            logger.exception("a terminal failed", extra={"session_id": channel.session_id})
            error = ErrorNotice(message="the terminal failed on the server", request="terminal.open")
            self._delivery.to_participant(channel, member.participant_id, error)
        finally:
            with anyio.CancelScope(shield=True):
                await send.aclose()
                await receive.aclose()
                channel.local_terminal = None
                if opened:
                    self._delivery.emit(channel, TerminalClosed(reason=reason))
                else:
                    self._delivery.emit(channel, TerminalClosed(failed=True), record=False)

    async def _drive(
        self, channel: SessionChannel, handle: LocalTerminal, keys: MemoryObjectReceiveStream[bytes]
    ) -> str:
        """Pass keys in and output out until the program ends, the terminal is closed, or a
        time limit is reached; returns why it ended, when the host ended it."""
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        why: list[str] = []

        async def output() -> None:
            while data := await handle.terminal.read():
                text = decoder.decode(data)
                if text:
                    await self._delivery.emit_output(channel, TerminalOutput(data=text))

        async def typing() -> None:
            async for data in keys:
                self._delivery.record_within_budget(
                    channel, TerminalTyped(data=data.decode("utf-8", "replace"))
                )
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
