"""ConsoleHub: the control channel of every session with participants on this node.

- **Runs** execute the files as the server holds them (the live document), never code a client
  sends; output streams to every participant as it comes; a writer can feed stdin and stop it;
  one run at a time per session.
- **Terminal**: one REPL or shell per session on a pty inside the sandbox, shared by everyone,
  typed into by writers only.
- **Chat**.
Events reach the participants connected to other nodes through the fan-out (topic ``control``);
commands aimed at a run or terminal living on another node are routed there the same way. Every
event that matters for playback goes to the session's event log.
"""

from __future__ import annotations

import codecs
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectSendStream

from server import tokens
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
from server.errors import DuetError
from server.exec.executor import Execution, ExecutionRequest, Executor
from server.exec.languages.model import Step
from server.exec.sandbox import RunSpec, Stream, Terminal
from server.recording.events import NewEvent, now_ms
from server.recording.log import RecordingLog
from server.recording.writer import EventWriter
from server.sessions.roles import Role
from server.sync.connection import CloseRequest, Outbox
from server.sync.fanout import CONTROL, Fanout, FanoutMessage, Kind
from server.sync.limits import TokenBucket
from server.sync.rooms import RoomRegistry
from server.sync.transport import StreamTransport, TransportClosed

logger = logging.getLogger(__name__)

HISTORY_EVENTS = 400
RECORDED = (
    "run.started",
    "run.output",
    "run.finished",
    "chat",
    "terminal.opened",
    "terminal.input",
    "terminal.output",
    "terminal.closed",
)
REPLS: dict[str, tuple[str, tuple[str, ...]]] = {  # terminal language -> (runtime, argv)
    "python": ("python", ("python3", "-q")),
    "javascript": ("javascript", ("node",)),
    "bash": ("bash", ("bash", "--norc", "-i")),
}
TERMINAL_IDLE_SECONDS = 10 * 60.0
TERMINAL_MAX_SECONDS = 60 * 60.0


@dataclass(frozen=True, slots=True)
class ConsoleMember:
    session_id: str
    participant_id: str
    name: str
    role: Role
    can_run: bool
    can_chat: bool


@dataclass(eq=False)
class _Run:
    run_id: str
    stdin: MemoryObjectSendStream[bytes]
    stop: anyio.Event = field(default_factory=anyio.Event)


@dataclass(eq=False)
class _Terminal:
    terminal: Terminal
    input: MemoryObjectSendStream[bytes]
    close: anyio.Event = field(default_factory=anyio.Event)
    typed: anyio.Event = field(default_factory=anyio.Event)  # set (then replaced) on input


@dataclass(eq=False)
class _Console:
    session_id: str
    members: dict[int, tuple[ConsoleMember, Outbox[str]]] = field(default_factory=dict)
    ended: bool = False
    active_run: str | None = None  # any node's
    terminal_open: bool = False  # any node's
    local_run: _Run | None = None
    local_terminal: _Terminal | None = None

    @property
    def idle(self) -> bool:
        return not self.members and self.local_run is None and self.local_terminal is None


class ConsoleHub:
    def __init__(
        self,
        executor: Executor,
        rooms: RoomRegistry,
        writer: EventWriter,
        recording: RecordingLog,
        fanout: Fanout,
        *,
        max_queue: int = 4096,
    ) -> None:
        self._executor = executor
        self._rooms = rooms
        self._writer = writer
        self._recording = recording
        self._fanout = fanout
        self._max_queue = max_queue
        self._consoles: dict[str, _Console] = {}
        self._tg: TaskGroup | None = None

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
        outbox: Outbox[str] = Outbox(transport, max_queue=self._max_queue)
        console.members[outbox.id] = (member, outbox)
        outbox.send(await self._hello(console, member))
        budget = TokenBucket(50, 200)
        close: CloseRequest | None = None
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(outbox.run, 25.0, json.dumps({"type": "ping"}))
                await self._receive(transport, console, member, outbox, budget)
                tg.cancel_scope.cancel()
        except* CloseRequest as group:
            close = group.exceptions[0]  # type: ignore[assignment]
        finally:
            console.members.pop(outbox.id, None)
            await self._maybe_drop(console)
        if close is not None:
            with anyio.move_on_after(2, shield=True):
                await transport.close(close.code, close.reason)

    async def _receive(
        self,
        transport: StreamTransport,
        console: _Console,
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
            error = await self._handle(console, member, message)
            if error is not None:
                outbox.send(json.dumps({"type": "error", "message": error, "request": message.type}))

    async def _console(self, session_id: str) -> _Console:
        console = self._consoles.get(session_id)
        if console is None:
            console = _Console(session_id)
            self._consoles[session_id] = console
            start = await self._fanout.position(session_id, CONTROL)
            await self._fanout.subscribe(session_id, start, self._on_remote, CONTROL)
        return console

    async def _maybe_drop(self, console: _Console) -> None:
        if console.idle and self._consoles.get(console.session_id) is console:
            del self._consoles[console.session_id]
            await self._fanout.unsubscribe(console.session_id, CONTROL)

    async def _hello(self, console: _Console, member: ConsoleMember) -> str:
        events = await self._recording.read(console.session_id, kinds=RECORDED, limit=100_000)
        history = [json.loads(e.data) for e in events[-HISTORY_EVENTS:]]
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

    async def _handle(self, console: _Console, member: ConsoleMember, message: ClientMessage) -> str | None:
        """Apply one command; returns an error for the sender, or None."""
        if isinstance(message, Chat):
            if not member.can_chat or console.ended:
                return "you cannot chat in this session"
            self._emit(
                console,
                {"type": "chat", "from": member.name, "role": member.role.value, "text": message.text},
                author=member.participant_id,
            )
            return None
        if not member.can_run or console.ended:
            return "your role cannot run code in this session"
        if isinstance(message, RunStart):
            if console.active_run is not None:
                return "a run is already going: wait for it or stop it"
            run_id = tokens.new_id()
            console.active_run = run_id
            send, receive = anyio.create_memory_object_stream[bytes](64)
            console.local_run = _Run(run_id, send)
            assert self._tg is not None
            self._tg.start_soon(self._run, console, member, message, console.local_run, receive)
            return None
        if isinstance(message, TerminalOpen):
            if console.terminal_open:
                return "a terminal is already open in this session"
            console.terminal_open = True
            assert self._tg is not None
            self._tg.start_soon(self._terminal, console, member, message)
            return None
        if not self._act(console, message):  # the run or terminal lives on another node
            self._fanout.publish(self._message(console, {"type": "route", "command": message.model_dump()}))
        return None

    def _act(self, console: _Console, message: ClientMessage) -> bool:
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
                assert self._tg is not None
                self._tg.start_soon(terminal.terminal.resize, message.rows, message.cols)
            else:
                terminal.typed.set()
                try:
                    terminal.input.send_nowait(message.data.encode())
                except (anyio.WouldBlock, anyio.BrokenResourceError, anyio.ClosedResourceError):
                    return True
            return True
        return False

    # ---- runs ----------------------------------------------------------------------------------

    async def _run(
        self,
        console: _Console,
        member: ConsoleMember,
        message: RunStart,
        run: _Run,
        stdin: Any,
    ) -> None:
        sid = console.session_id
        decoders = {s: codecs.getincrementaldecoder("utf-8")("replace") for s in ("stdout", "stderr")}

        async def on_output(stream: Stream, chunk: bytes) -> None:
            text = decoders[stream].decode(chunk)
            if text:
                self._emit(
                    console, {"type": "run.output", "run_id": run.run_id, "stream": stream, "data": text}
                )

        def on_position(position: int) -> None:
            self._emit(
                console, {"type": "run.queued", "run_id": run.run_id, "position": position}, record=False
            )

        finished: dict[str, Any] = {"type": "run.finished", "run_id": run.run_id}
        try:
            request, entry = await self._request(sid, message)
            self._emit(
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
                request, on_output=on_output, on_position=on_position, stdin_stream=stdin, stop=run.stop
            )
            finished["result"] = result_summary(execution)
        except DuetError as exc:
            finished["error"] = exc.message
        finally:
            with anyio.CancelScope(shield=True):
                await run.stdin.aclose()
                await stdin.aclose()
                console.local_run = None
                self._emit(console, finished)
                await self._maybe_drop(console)

    async def _request(self, session_id: str, message: RunStart) -> tuple[ExecutionRequest, str]:
        files, meta = await self._rooms.files(session_id)
        entry = message.file or meta.get("active") or meta.get("main") or ""
        if entry not in files:
            raise _RunError(f"there is no file {entry!r} to run")
        language = self._executor.registry.get(meta.get(f"lang:{entry}", ""))
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

    # ---- terminal ------------------------------------------------------------------------------

    async def _terminal(self, console: _Console, member: ConsoleMember, message: TerminalOpen) -> None:
        runtime, argv = REPLS[message.language]
        send, receive = anyio.create_memory_object_stream[bytes](256)
        opened = False
        try:
            language = self._executor.registry.get(runtime)
            files, _ = await self._rooms.files(console.session_id)
            spec = RunSpec(
                files={p: t.encode() for p, t in files.items()},
                steps=[Step("run", argv)],
                env=language.environment(),
                limits=self._executor.defaults,
            )
            async with self._executor.runner.terminal(spec) as terminal:
                handle = _Terminal(terminal, send)
                console.local_terminal = handle
                await terminal.resize(message.rows, message.cols)
                self._emit(
                    console,
                    {"type": "terminal.opened", "language": message.language, "by": member.name},
                    author=member.participant_id,
                )
                opened = True
                await self._drive(console, handle, receive)
        except DuetError as exc:
            self._emit(
                console, {"type": "error", "message": exc.message, "request": "terminal.open"}, record=False
            )
        finally:
            with anyio.CancelScope(shield=True):
                await send.aclose()
                await receive.aclose()
                console.local_terminal = None
                console.terminal_open = False
                if opened:
                    self._emit(console, {"type": "terminal.closed"})
                else:
                    self._emit(console, {"type": "terminal.closed", "failed": True}, record=False)
                await self._maybe_drop(console)

    async def _drive(self, console: _Console, handle: _Terminal, keys: Any) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")

        async def output() -> None:
            while data := await handle.terminal.read():
                text = decoder.decode(data)
                if text:
                    self._emit(console, {"type": "terminal.output", "data": text})

        async def typing() -> None:
            async for data in keys:
                self._emit(
                    console,
                    {"type": "terminal.input", "data": data.decode("utf-8", "replace")},
                    deliver=False,
                )
                await handle.terminal.write(data)

        async def idle_watch() -> None:
            while True:
                with anyio.move_on_after(TERMINAL_IDLE_SECONDS) as idle:
                    await handle.typed.wait()
                if idle.cancelled_caught:
                    return
                handle.typed = anyio.Event()

        with anyio.move_on_after(TERMINAL_MAX_SECONDS):
            async with anyio.create_task_group() as tg:

                async def until(task: Callable[[], Any]) -> None:
                    await task()
                    tg.cancel_scope.cancel()

                tg.start_soon(until, output)
                tg.start_soon(until, idle_watch)
                tg.start_soon(until, handle.close.wait)
                tg.start_soon(typing)

    # ---- events --------------------------------------------------------------------------------

    def session_ended(self, session_id: str) -> None:
        console = self._consoles.get(session_id)
        if console is not None:
            console.ended = True
            self._emit(console, {"type": "session.ended"}, record=False)

    def _message(self, console: _Console, event: dict[str, Any]) -> FanoutMessage:
        return FanoutMessage(console.session_id, Kind.EVENT, json.dumps(event).encode(), CONTROL)

    def _emit(
        self,
        console: _Console,
        event: dict[str, Any],
        *,
        author: str | None = None,
        record: bool = True,
        deliver: bool = True,
    ) -> None:
        """Send an event to this node's participants and the other nodes'; record it."""
        event = {**event, "ts": now_ms()}
        frame = json.dumps(event)
        if deliver:
            self._deliver(console, event, frame)
            self._fanout.publish(FanoutMessage(console.session_id, Kind.EVENT, frame.encode(), CONTROL))
        if record and event["type"] in RECORDED:
            self._writer.append_nowait(
                NewEvent(console.session_id, event["type"], frame.encode(), author, event["ts"])
            )

    def _deliver(self, console: _Console, event: dict[str, Any], frame: str) -> None:
        kind = event["type"]
        if kind == "run.started":
            console.active_run = event["run_id"]
        elif kind == "run.finished" and console.active_run == event["run_id"]:
            console.active_run = None
        elif kind == "terminal.opened":
            console.terminal_open = True
        elif kind == "terminal.closed":
            console.terminal_open = False
        for _, outbox in list(console.members.values()):
            outbox.send(frame)

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
        if event.get("type") == "route":
            try:
                command = parse(json.dumps(event.get("command")))
            except BadMessage:
                return
            self._act(console, command)
            return
        self._deliver(console, event, message.data.decode())


class _RunError(DuetError):
    status = 422
    code = "cannot_run"


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
