"""ConsoleHub: the control channel of every session with participants on this node.

It serves each participant's socket and dispatches their commands: role checks, per-person
allowances (``allowance``), then runs (``runs``), the shared terminal (``terminals``) and chat,
whose events go through ``events`` (delivery to every node, and the recording). Events reach
participants on other nodes through the fan-out (topic ``control``); a command aimed at a run
or terminal living on another node is routed there the same way.

Work a participant starts (a run, a terminal, a resize, any command) runs contained: when it
fails, that work ends with an error event, and nothing else on the node notices.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from anyio.abc import TaskGroup

from server import tokens
from server.channels.fanout import CONTROL, Fanout, FanoutMessage, Kind
from server.channels.limits import TokenBucket
from server.channels.outbox import CloseRequest, Outbox
from server.channels.transport import StreamTransport, TransportClosed
from server.console.allowance import Allowances
from server.console.events import RECORDED, ConsoleEvents
from server.console.messages import (
    BadMessage,
    Chat,
    ClientMessage,
    RunStart,
    RunStdin,
    RunStop,
    TerminalClose,
    TerminalInput,
    TerminalOpen,
    TerminalResize,
    parse,
)
from server.console.runs import ConsoleRuns
from server.console.session import ConsoleMember, LocalRun, SessionConsole
from server.console.terminals import ConsoleTerminals, TerminalLimits
from server.exec.executor import Executor
from server.recording.budget import RecordingBudget
from server.recording.log import RecordingLog
from server.recording.writer import EventWriter
from server.settings import Settings
from server.sync.rooms import RoomRegistry

logger = logging.getLogger(__name__)

HISTORY_EVENTS = 400
#: The history a joiner gets is cut to this many bytes, newest kept (terminal output is large).
HISTORY_BYTES = 1024 * 1024


class ConsoleHub:
    def __init__(
        self,
        executor: Executor,
        rooms: RoomRegistry,
        writer: EventWriter,
        recording: RecordingLog,
        fanout: Fanout,
        settings: Settings,
        budget: RecordingBudget,
    ) -> None:
        self._recording = recording
        self._fanout = fanout
        self._settings = settings
        self._events = ConsoleEvents(writer, fanout, budget)
        self._runs = ConsoleRuns(executor, rooms, self._events)
        self._terminals = ConsoleTerminals(
            executor,
            rooms,
            self._events,
            TerminalLimits(
                cpu_seconds=settings.terminal_cpu_seconds,
                output_bytes=settings.terminal_output_bytes,
                idle_seconds=settings.terminal_idle_seconds,
                max_seconds=settings.terminal_max_seconds,
            ),
        )
        self._allowances = Allowances(settings)
        self._consoles: dict[str, SessionConsole] = {}
        self._tg: TaskGroup | None = None

    @property
    def alive(self) -> bool:
        """Serving (its task group is up): what /healthz reports."""
        return self._tg is not None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[ConsoleHub]:
        async with anyio.create_task_group() as tg:
            self._tg = tg
            try:
                yield self
            finally:
                for console in self._consoles.values():
                    if console.local_run is not None:
                        console.local_run.stop.set()
                    if console.local_terminal is not None:
                        console.local_terminal.close.set()
                self._tg = None

    # ---- connections ---------------------------------------------------------------------------

    async def serve(self, transport: StreamTransport, member: ConsoleMember) -> None:
        """Serve one participant's control websocket until it closes."""
        console = await self._console(member.session_id)
        outbox: Outbox[str] = Outbox(transport, max_queue_bytes=self._settings.control_send_queue_bytes)
        console.join(member, outbox)
        close: CloseRequest | None = None
        try:
            outbox.send(await self._hello(console, member))
            budget = TokenBucket(
                self._settings.control_messages_per_second, self._settings.control_message_burst
            )
            async with anyio.create_task_group() as tg:
                keepalive = json.dumps({"type": "ping"})
                tg.start_soon(outbox.run, self._settings.control_keepalive_seconds, keepalive)
                await self._receive(transport, console, member, outbox, budget)
                tg.cancel_scope.cancel()
        except* CloseRequest as group:
            close = group.exceptions[0]  # type: ignore[assignment]
        finally:
            console.leave(member, outbox)
            await self._maybe_drop(console)
        if close is not None:
            with anyio.move_on_after(2, shield=True):
                await transport.close(close.code, close.reason)

    async def _receive(
        self,
        transport: StreamTransport,
        console: SessionConsole,
        member: ConsoleMember,
        outbox: Outbox[str],
        budget: TokenBucket,
    ) -> None:
        while outbox.close_request is None:
            try:
                frame = await transport.receive()
            except TransportClosed:
                return
            if not budget.take():
                raise CloseRequest(4429, "too many messages: slow down")
            try:
                message = parse(frame)
            except BadMessage as exc:
                raise CloseRequest(4400, str(exc)) from None
            try:
                error = self._handle(console, member, message)
            except Exception:  # a bug in one command: that command fails, the socket goes on
                logger.exception(
                    "the %s command failed", message.type, extra={"session_id": console.session_id}
                )
                error = "the server failed to handle this command"
            if error is not None:
                outbox.send(json.dumps({"type": "error", "message": error, "request": message.type}))

    async def _console(self, session_id: str) -> SessionConsole:
        console = self._consoles.get(session_id)
        if console is None:
            console = SessionConsole(session_id)
            self._consoles[session_id] = console
            start = await self._fanout.position(session_id, CONTROL)
            await self._fanout.subscribe(session_id, start, self._on_remote, CONTROL)
        return console

    async def _maybe_drop(self, console: SessionConsole) -> None:
        if console.idle and self._consoles.get(console.session_id) is console:
            del self._consoles[console.session_id]
            await self._fanout.unsubscribe(console.session_id, CONTROL)

    async def _hello(self, console: SessionConsole, member: ConsoleMember) -> str:
        events = await self._recording.read_latest(console.session_id, kinds=RECORDED, limit=HISTORY_EVENTS)
        history: list[Any] = []
        size = 0
        for event in reversed(events):  # newest first, until the history is large enough
            size += len(event.data)
            if size > HISTORY_BYTES:
                break
            history.append(json.loads(event.data))
        history.reverse()
        return json.dumps(
            {
                "type": "hello",
                "you": {
                    "participant": member.participant_id,
                    "name": member.name,
                    "role": member.role.value,
                    "can_run": member.can_run and not console.ended,
                },
                "active_run": console.active_run,
                "terminal_open": console.terminal_open,
                "history": history,
            }
        )

    # ---- commands ------------------------------------------------------------------------------

    def _handle(self, console: SessionConsole, member: ConsoleMember, message: ClientMessage) -> str | None:
        """Apply one command; returns an error for the sender, or None."""
        if isinstance(message, Chat):
            if not member.can_chat or console.ended:
                return "you cannot chat in this session"
        elif not member.can_run or console.ended:
            return "your role cannot run code in this session"
        refusal = self._allowances.of(member.participant_id).refusal(message)
        if refusal is not None:
            return refusal
        if isinstance(message, Chat):
            event = {"type": "chat", "from": member.name, "role": member.role.value, "text": message.text}
            if not self._events.emit_within_budget(console, event, author=member.participant_id):
                return "this session's chat is over its recording allowance: wait a moment"
            return None
        if isinstance(message, RunStart):
            if console.active_run is not None:
                return "a run is already going: wait for it or stop it"
            run_id = tokens.new_id()
            console.active_run = run_id
            send, receive = anyio.create_memory_object_stream[bytes](64)
            console.local_run = LocalRun(run_id, send)
            self._spawn(console, member, self._runs.run, console, member, message, console.local_run, receive)
            return None
        if isinstance(message, TerminalOpen):
            if console.terminal_open:
                return "a terminal is already open in this session"
            console.terminal_open = True
            self._spawn(console, member, self._terminals.open, console, member, message)
            return None
        if not self._act(console, member, message):  # the run or terminal lives on another node
            self._fanout.publish(
                FanoutMessage(
                    console.session_id,
                    Kind.EVENT,
                    json.dumps(
                        {"type": "route", "command": message.model_dump(), "from": member.participant_id}
                    ).encode(),
                    CONTROL,
                )
            )
        return None

    def _act(self, console: SessionConsole, member: ConsoleMember | None, message: ClientMessage) -> bool:
        """Apply a command to this node's run or terminal; False if it is not here."""
        run, terminal = console.local_run, console.local_terminal
        if isinstance(message, RunStdin | RunStop):
            if run is None or run.run_id != message.run_id:
                return False
            if isinstance(message, RunStop):
                run.stop.set()
            else:
                try:
                    run.stdin.send_nowait(message.data.encode())
                except (anyio.WouldBlock, anyio.BrokenResourceError, anyio.ClosedResourceError):
                    return True  # the program is not reading: drop it
            return True
        if isinstance(message, TerminalInput | TerminalResize | TerminalClose):
            if terminal is None:
                return False
            if isinstance(message, TerminalClose):
                terminal.close.set()
            elif isinstance(message, TerminalResize):
                self._spawn(console, member, terminal.terminal.resize, message.rows, message.cols)
            else:
                terminal.typed.set()
                try:
                    terminal.input.send_nowait(message.data.encode())
                except (anyio.WouldBlock, anyio.BrokenResourceError, anyio.ClosedResourceError):
                    return True
            return True
        return False

    def _spawn(
        self,
        console: SessionConsole,
        member: ConsoleMember | None,
        work: Callable[..., Awaitable[None]],
        *args: Any,
    ) -> None:
        """Run a participant's work on the hub's task group, contained: an exception it raises
        is logged and told to that participant; it never reaches the task group (which would
        stop the hub, and with it every session on the node)."""
        assert self._tg is not None

        async def contained() -> None:
            try:
                await work(*args)
            except Exception:
                logger.exception("participant work failed", extra={"session_id": console.session_id})
                if member is not None:
                    self._events.to_participant(
                        console,
                        member.participant_id,
                        {"type": "error", "message": "the server failed to do that; try again"},
                    )
            finally:
                await self._maybe_drop(console)

        self._tg.start_soon(contained)

    # ---- events --------------------------------------------------------------------------------

    def session_ended(self, session_id: str) -> None:
        """Nobody runs anything any more, on any node (the event travels with the others)."""
        console = self._consoles.get(session_id)
        if console is not None:
            console.ended = True
            self._events.emit(console, {"type": "session.ended"}, record=False)
        else:
            event = json.dumps({"type": "session.ended"}).encode()
            self._fanout.publish(FanoutMessage(session_id, Kind.EVENT, event, CONTROL))

    def _on_remote(self, message: FanoutMessage) -> None:
        console = self._consoles.get(message.session_id)
        if console is None or message.kind is not Kind.EVENT:
            return
        try:
            event = json.loads(message.data)
        except json.JSONDecodeError:
            logger.warning(
                "malformed control event from another node", extra={"session_id": message.session_id}
            )
            return
        if not isinstance(event, dict):
            return
        if event.get("type") == "route":
            try:
                command = parse(json.dumps(event.get("command")))
            except BadMessage:
                return
            self._act(console, None, command)
            return
        if isinstance(event.get("type"), str):
            self._events.deliver(console, event, message.data.decode())
