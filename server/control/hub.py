"""ControlHub: the control channel of every session with participants on this node.

It serves each participant's socket and dispatches their commands: role checks, per-person
allowances (``allowance``), then runs (``runs``), the shared terminal (``terminals``) and chat,
whose events go through ``events`` (delivery to every node, and the recording). Events reach
participants on other nodes through the fan-out (topic ``control``); a command aimed at a run
or terminal living on another node is routed there the same way.

Work a participant starts (a run, a terminal, a resize, any command) runs contained: when it
fails, that work ends with an error event, and nothing else on the node notices.

A node that dies takes its session's run or terminal with it, and cannot say so. So the node
holding one tells the others every ``BEAT_SECONDS`` (``SessionBeat``), and a node that has not
heard of another node's run or terminal for ``LOST_SECONDS`` ends it for everyone
(``run.finished`` with an error, ``terminal.closed`` with the reason). A node that opens a
session's channel learns from the recording what may still be going (started, not finished)
and gives its node the same time to be heard.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal, Protocol

import anyio
from anyio.abc import TaskGroup
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from server import tokens
from server.channels.fanout import CONTROL, Fanout, FanoutKind, FanoutMessage
from server.channels.limits import TokenBucket
from server.channels.outbox import CloseRequest, Outbox
from server.channels.transport import StreamTransport, TransportClosed
from server.control.allowance import Allowances
from server.control.commands import (
    MEDIA_COMMANDS,
    BadCommand,
    Chat,
    Command,
    FocusSignal,
    Note,
    PasteSignal,
    RunStart,
    RunStdin,
    RunStop,
    SessionEnd,
    TerminalClose,
    TerminalInput,
    TerminalOpen,
    TerminalResize,
    VisibilitySignal,
    parse,
)
from server.control.delivery import ControlDelivery, encode
from server.control.events import (
    HISTORY,
    PRIVATE,
    RECORDED_EVENT,
    ChatPosted,
    ControlEvent,
    ErrorNotice,
    Hello,
    NotePosted,
    Ping,
    Recorded,
    RunFinished,
    RunStarted,
    SessionEnded,
    SignalRaised,
    TerminalClosed,
    TerminalOpened,
    You,
)
from server.control.runs import ControlRuns
from server.control.session import ControlMember, LocalRun, SessionChannel
from server.control.terminals import ControlTerminals, TerminalLimits
from server.exec.executor import Executor
from server.media.hub import MediaHub
from server.media.messages import MediaCommand, MediaEvent
from server.media.room import MediaConnection
from server.recording.budget import RecordingBudget
from server.recording.events import now_ms
from server.recording.log import RecordingLog
from server.recording.writer import EventWriter
from server.sessions.roles import sees_private
from server.settings import Settings
from server.sync.rooms import RoomRegistry

logger = logging.getLogger(__name__)

HISTORY_EVENTS = 400
#: The history a joiner gets is cut to this many bytes, newest kept (terminal output is large).
HISTORY_BYTES = 1024 * 1024
#: How often a node holding a run or a terminal says so to the others.
BEAT_SECONDS = 2.0
#: Silence after which another node's run or terminal is taken to have died with its node (five
#: beats, and a Redis restart's worth of delay); each node adds up to LOST_JITTER_SECONDS of its
#: own, so that one node, not all of them at once, tells everyone.
LOST_SECONDS = 10.0
LOST_JITTER_SECONDS = 2.0
RUN_LOST = "the server running this program stopped before it finished; run it again"
TERMINAL_LOST = "the server holding this terminal stopped"
UNSTORED = "the server could not save this message; send it again"


class SessionEnder(Protocol):
    """Ends a session the way the REST API does (web/services.py: the session service, then every
    node's rooms and channels, guests' sockets closed, ``session.ended`` recorded)."""

    async def end_session(self, session_id: str, *, org_id: str) -> object: ...


class ControlHub:
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
        self._delivery = ControlDelivery(writer, fanout, budget)
        self._runs = ControlRuns(
            executor, rooms, self._delivery, max_files_bytes=settings.sync_max_document_bytes
        )
        self._terminals = ControlTerminals(
            executor,
            rooms,
            self._delivery,
            TerminalLimits(
                cpu_seconds=settings.terminal_cpu_seconds,
                output_bytes=settings.terminal_output_bytes,
                idle_seconds=settings.terminal_idle_seconds,
                max_seconds=settings.terminal_max_seconds,
            ),
        )
        self._allowances = Allowances(settings)
        self._ender: SessionEnder | None = None
        self._media: MediaHub | None = None
        self._channels: dict[str, SessionChannel] = {}
        self._tg: TaskGroup | None = None
        self._patience = LOST_SECONDS + random.uniform(0, LOST_JITTER_SECONDS)

    def ends_sessions_with(self, ender: SessionEnder) -> None:
        """How ``session.end`` ends a session (the composition root plugs in its services)."""
        self._ender = ender

    def carries_media(self, media: MediaHub) -> None:
        """Where the media commands go (the composition root plugs in the media hub)."""
        self._media = media

    @property
    def alive(self) -> bool:
        """Serving (its task group is up): what /healthz reports."""
        return self._tg is not None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[ControlHub]:
        async with anyio.create_task_group() as tg:
            self._tg = tg
            watching = anyio.CancelScope()
            tg.start_soon(self._watch, watching)
            try:
                yield self
            finally:
                for channel in self._channels.values():
                    if channel.local_run is not None:
                        channel.local_run.stop.set()
                    if channel.local_terminal is not None:
                        channel.local_terminal.close.set()
                self._tg = None
                watching.cancel()  # the participants' work still ends on its own

    # ---- connections ---------------------------------------------------------------------------

    async def serve(self, transport: StreamTransport, member: ControlMember) -> None:
        """Serve one participant's control websocket until it closes."""
        channel = await self._channel(member.session_id)
        outbox: Outbox[str] = Outbox(transport, max_queue_bytes=self._settings.control_send_queue_bytes)
        outbox.hold()  # events while the history is read wait: the hello goes first
        channel.join(member, outbox)
        close: CloseRequest | None = None
        try:
            outbox.release(await self._hello(channel, member))
            budget = TokenBucket(
                self._settings.control_messages_per_second, self._settings.control_message_burst
            )
            async with anyio.create_task_group() as tg:
                keepalive = encode(Ping())
                tg.start_soon(outbox.run, self._settings.control_keepalive_seconds, keepalive)
                await self._receive(transport, channel, member, outbox, budget)
                tg.cancel_scope.cancel()
        except* CloseRequest as group:
            close = group.exceptions[0]  # type: ignore[assignment]
        finally:
            channel.leave(outbox)
            if self._media is not None:
                self._media.disconnect(channel.session_id, outbox.id)
            await self._maybe_drop(channel)
        if close is not None:
            with anyio.move_on_after(2, shield=True):
                await transport.close(close.code, close.reason)

    async def _receive(
        self,
        transport: StreamTransport,
        channel: SessionChannel,
        member: ControlMember,
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
            except BadCommand as exc:
                raise CloseRequest(4400, str(exc)) from None
            try:
                if isinstance(message, MEDIA_COMMANDS):
                    error = self._signal(channel, member, outbox, message)
                else:
                    error = self._handle(channel, member, message)
            except Exception:  # a bug in one command: that command fails, the socket goes on
                logger.exception(
                    "the %s command failed", message.type, extra={"session_id": channel.session_id}
                )
                error = "the server failed to handle this command"
            if error is not None:
                outbox.send(encode(ErrorNotice(message=error, request=message.type, ts=now_ms())))

    async def _channel(self, session_id: str) -> SessionChannel:
        channel = self._channels.get(session_id)
        if channel is None:
            channel = SessionChannel(session_id)
            self._channels[session_id] = channel
            start = await self._fanout.position(session_id, CONTROL)
            await self._fanout.subscribe(session_id, start, self._on_remote, CONTROL)
            await self._recall(channel)
        return channel

    async def _recall(self, channel: SessionChannel) -> None:
        """What the recording says may still be going on another node: the session's last run
        if it started and did not finish, its terminal if it opened and did not close."""
        try:
            runs = await self._recording.read_latest(
                channel.session_id, kinds=("run.started", "run.finished"), limit=1
            )
            terminals = await self._recording.read_latest(
                channel.session_id, kinds=("terminal.opened", "terminal.closed"), limit=1
            )
        except Exception:  # the channel works without it; the beats still arrive
            logger.exception(
                "reading the recording's last run failed", extra={"session_id": channel.session_id}
            )
            return
        for event in [*runs, *terminals]:
            try:
                recorded = RECORDED_EVENT.validate_json(event.data)
            except ValidationError:
                continue
            if isinstance(recorded, RunStarted) and channel.active_run is None:
                channel.run_going(recorded.run_id)
            elif isinstance(recorded, TerminalOpened) and not channel.terminal_open:
                channel.terminal_going()

    async def _maybe_drop(self, channel: SessionChannel) -> None:
        if channel.idle and self._channels.get(channel.session_id) is channel:
            del self._channels[channel.session_id]
            await self._fanout.unsubscribe(channel.session_id, CONTROL)

    async def _hello(self, channel: SessionChannel, member: ControlMember) -> str:
        kinds = HISTORY if sees_private(member.role) else tuple(k for k in HISTORY if k not in PRIVATE)
        events = await self._recording.read_latest(channel.session_id, kinds=kinds, limit=HISTORY_EVENTS)
        history: list[Recorded] = []
        size = 0
        for event in reversed(events):  # newest first, until the history is large enough
            size += len(event.data)
            if size > HISTORY_BYTES:
                break
            try:
                history.append(RECORDED_EVENT.validate_json(event.data))
            except ValidationError:  # recorded by a version of Duet that said it differently
                continue
        history.reverse()
        you = You(
            participant=member.participant_id,
            name=member.name,
            role=member.role.value,
            can_run=member.can_run and not channel.ended,
        )
        hello = Hello(
            you=you, active_run=channel.active_run, terminal_open=channel.terminal_open, history=history
        )
        return encode(hello.model_copy(update={"ts": now_ms()}))

    # ---- commands ------------------------------------------------------------------------------

    def _handle(self, channel: SessionChannel, member: ControlMember, message: Command) -> str | None:
        """Apply one command; returns an error for the sender, or None."""
        denied = self._denied(channel, member, message)
        if denied is not None:
            return denied
        refusal = self._allowances.of(member.participant_id).refusal(message)
        if refusal is not None:
            return refusal
        if isinstance(message, Chat | Note | PasteSignal | FocusSignal | VisibilitySignal):
            return self._post(channel, member, message)
        if isinstance(message, SessionEnd):
            self._spawn(channel, member, self._end, channel, member)
            return None
        if isinstance(message, RunStart):
            if channel.active_run is not None:
                return "a run is already going: wait for it or stop it"
            run_id = tokens.new_id()
            channel.active_run = run_id
            send, receive = anyio.create_memory_object_stream[bytes](64)
            channel.local_run = LocalRun(run_id, send)
            self._spawn(channel, member, self._runs.run, channel, member, message, channel.local_run, receive)
            return None
        if isinstance(message, TerminalOpen):
            if channel.terminal_open:
                return "a terminal is already open in this session"
            channel.terminal_open = True
            self._spawn(channel, member, self._terminals.open, channel, member, message)
            return None
        if not self._act(channel, member, message):  # the run or terminal lives on another node
            self._route(channel, member, message)
        return None

    def _signal(
        self, channel: SessionChannel, member: ControlMember, outbox: Outbox[str], message: MediaCommand
    ) -> str | None:
        """A media command: role and allowance checked here, then the media hub's."""
        if self._media is None:
            return "audio and video are not available on this server"
        if channel.ended or not member.can_receive_media:
            return "audio and video are not available to your role in this session"
        refusal = self._allowances.of(member.participant_id).refusal(message)
        if refusal is not None:
            return refusal

        def send(event: MediaEvent) -> None:
            outbox.send(encode(event.model_copy(update={"ts": now_ms()})))

        def refuse(why: str, request: str) -> None:
            outbox.send(encode(ErrorNotice(message=why, request=request, ts=now_ms())))

        connection = MediaConnection(
            id=outbox.id,
            session_id=channel.session_id,
            participant_id=member.participant_id,
            name=member.name,
            role=member.role.value,
            can_publish=member.can_publish_media,
            send=send,
            refuse=refuse,
        )
        return self._media.handle(connection, message)

    @staticmethod
    def _denied(channel: SessionChannel, member: ControlMember, message: Command) -> str | None:
        """The role check of every command (the member's rights were fixed at connection, from
        the session's state then; ``channel.ended`` is the end since)."""
        if isinstance(message, Chat):
            allowed, why = member.can_chat, "you cannot chat in this session"
        elif isinstance(message, Note):
            allowed, why = member.can_note, "only interviewers write notes in a live session"
        elif isinstance(message, PasteSignal | FocusSignal | VisibilitySignal):
            allowed, why = member.can_signal, "you cannot send signals in this session"
        elif isinstance(message, SessionEnd):
            allowed, why = member.can_end, "only interviewers end a live session"
        else:
            allowed, why = member.can_run, "your role cannot run code in this session"
        return None if allowed and not channel.ended else why

    def _post(
        self,
        channel: SessionChannel,
        member: ControlMember,
        message: Chat | Note | PasteSignal | FocusSignal | VisibilitySignal,
    ) -> str | None:
        """Chat, a note or a signal: recorded, then delivered (notes and signals only to those
        who see private things); its sender is told if it could not be stored."""
        event: ChatPosted | NotePosted | SignalRaised
        if isinstance(message, Chat):
            event = ChatPosted(sender=member.name, role=member.role.value, text=message.text)
        elif isinstance(message, Note):
            event = NotePosted(sender=member.name, text=message.text)
        else:
            event = SignalRaised(
                participant=member.participant_id,
                sender=member.name,
                role=member.role.value,
                kind=message.kind,
                chars=message.chars if isinstance(message, PasteSignal) else None,
                external=message.external if isinstance(message, PasteSignal) else None,
                state=None if isinstance(message, PasteSignal) else message.state,
            )

        def unstored() -> None:
            self._delivery.to_participant(
                channel, member.participant_id, ErrorNotice(message=UNSTORED, request=message.type)
            )

        if not self._delivery.emit_within_budget(
            channel, event, author=member.participant_id, unstored=unstored
        ):
            return "this session is over its recording allowance: wait a moment"
        return None

    async def _end(self, channel: SessionChannel, member: ControlMember) -> None:
        """``session.end``: the session ends as through the REST API, for every node."""
        if self._ender is None:
            raise RuntimeError("the control hub cannot end sessions: no ender plugged in")
        # what was said before the end reaches everyone before the guests' sockets close
        await self._delivery.settled()
        await self._ender.end_session(channel.session_id, org_id=member.org_id)

    def _act(self, channel: SessionChannel, member: ControlMember | None, message: Command) -> bool:
        """Apply a command to this node's run or terminal; False if it is not here."""
        run, terminal = channel.local_run, channel.local_terminal
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
                self._spawn(channel, member, terminal.terminal.resize, message.rows, message.cols)
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
        channel: SessionChannel,
        member: ControlMember | None,
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
                logger.exception("participant work failed", extra={"session_id": channel.session_id})
                if member is not None:
                    error = ErrorNotice(message="the server failed to do that; try again")
                    self._delivery.to_participant(channel, member.participant_id, error)
            finally:
                await self._maybe_drop(channel)

        self._tg.start_soon(contained)

    # ---- other nodes' runs and terminals ---------------------------------------------------------

    async def _watch(self, scope: anyio.CancelScope) -> None:
        with scope:
            while True:
                await anyio.sleep(BEAT_SECONDS)
                now = time.monotonic()
                for channel in list(self._channels.values()):
                    self._beat(channel)
                    self._end_lost(channel, now)

    def _beat(self, channel: SessionChannel) -> None:
        """Tell the other nodes this one still holds the session's run or terminal."""
        run, terminal = channel.local_run, channel.local_terminal
        if run is None and terminal is None:
            return
        beat = SessionBeat(run_id=run.run_id if run else None, terminal=terminal is not None)
        self._fanout.publish(
            FanoutMessage(channel.session_id, FanoutKind.EVENT, beat.model_dump_json().encode(), CONTROL)
        )

    def _end_lost(self, channel: SessionChannel, now: float) -> None:
        """End, for everyone, another node's run or terminal that has not been heard of for a
        while: its node died with it (a node that is alive beats every BEAT_SECONDS)."""
        run = channel.active_run
        local = channel.local_run.run_id if channel.local_run else None
        if run is not None and run != local and now - channel.run_heard > self._patience:
            logger.warning(
                "run %s: its node went silent; ending it", run, extra={"session_id": channel.session_id}
            )
            self._delivery.emit(channel, RunFinished(run_id=run, error=RUN_LOST))
        if (
            channel.terminal_open
            and channel.local_terminal is None
            and now - channel.terminal_heard > self._patience
        ):
            logger.warning(
                "the terminal's node went silent; closing it", extra={"session_id": channel.session_id}
            )
            self._delivery.emit(channel, TerminalClosed(reason=TERMINAL_LOST))

    # ---- events --------------------------------------------------------------------------------

    def session_ended(self, session_id: str) -> None:
        """Nobody runs anything any more, on any node (the event travels with the others)."""
        if self._media is not None:
            self._media.session_ended(session_id)
        channel = self._channels.get(session_id)
        if channel is not None:
            channel.ended = True
            self._delivery.emit(channel, SessionEnded(), record=False)
        else:
            event = encode(SessionEnded(ts=now_ms())).encode()
            self._fanout.publish(FanoutMessage(session_id, FanoutKind.EVENT, event, CONTROL))

    def _route(self, channel: SessionChannel, member: ControlMember, command: Command) -> None:
        """Hand a command to the node that runs the session's run or terminal."""
        route = Route(command=command.model_dump(), sender=member.participant_id)
        self._fanout.publish(
            FanoutMessage(channel.session_id, FanoutKind.EVENT, route.model_dump_json().encode(), CONTROL)
        )

    def _on_remote(self, message: FanoutMessage) -> None:
        channel = self._channels.get(message.session_id)
        if channel is None or message.kind is not FanoutKind.EVENT:
            return
        try:
            routed = ROUTED.validate_json(message.data)
        except ValidationError:
            logger.warning(
                "malformed control message from another node", extra={"session_id": message.session_id}
            )
            return
        if isinstance(routed, SessionBeat):
            if routed.run_id is not None:
                channel.run_going(routed.run_id)
            if routed.terminal:
                channel.terminal_going()
            return
        if isinstance(routed, Route):
            try:
                command = parse(json.dumps(routed.command))
            except BadCommand:
                return
            self._act(channel, None, command)
            return
        if isinstance(routed, SessionEnded) and self._media is not None:
            self._media.session_ended(message.session_id)
        self._delivery.deliver(channel, routed, message.data.decode())


class Route(BaseModel):
    """A command for the node that holds the session's run or terminal (nodes only)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["route"] = "route"
    command: dict[str, Any]
    sender: str


class SessionBeat(BaseModel):
    """A node still holds the session's run and/or terminal (nodes only, every BEAT_SECONDS)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["beat"] = "beat"
    run_id: str | None = None
    terminal: bool = False


#: What travels between nodes on the control topic: events, commands routed to a run's node, and
#: the beats of the nodes holding runs and terminals.
ROUTED: TypeAdapter[ControlEvent | Route | SessionBeat] = TypeAdapter(
    Annotated[ControlEvent | Route | SessionBeat, Field(discriminator="type")]
)
