"""The control channel's events (``server.control.events``): stamped, delivered to this node's
participants and the other nodes', and recorded, all from one place.

What is recorded is exactly what participants saw, and nothing they saw is lost when the node
dies: a recorded event is delivered (here and to the other nodes) only once the event log
committed it, and every event keeps its place behind those sent before it (``ordering``). Chat,
notes and signals that cannot be stored are not delivered at all (their sender is told); the
console's events are delivered even then, so that a run still ends for everyone.

Chat that would take the session past its recording allowance is refused before anyone sees it;
run and terminal output wait for the allowance, which slows the program down rather than
dropping what it printed.

Notes and signals (``events.PRIVATE``) reach only the participants whose role sees private
things, on every node: each node filters what it delivers, whichever node the event came from.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from server.channels.fanout import CONTROL, Fanout, FanoutKind, FanoutMessage
from server.control.events import (
    PRIVATE,
    RECORDED,
    ControlEvent,
    RunFinished,
    RunStarted,
    SessionEnded,
    TerminalClosed,
    TerminalOpened,
)
from server.control.session import SessionChannel
from server.errors import Unavailable
from server.recording.budget import RecordingBudget
from server.recording.events import NewEvent, now_ms
from server.recording.writer import EventWriter
from server.sessions.roles import sees_private

logger = logging.getLogger(__name__)


def encode(event: ControlEvent) -> str:
    return event.model_dump_json(by_alias=True)


class ControlDelivery:
    def __init__(self, writer: EventWriter, fanout: Fanout, budget: RecordingBudget) -> None:
        self._writer = writer
        self._fanout = fanout
        self.budget = budget

    def emit(
        self,
        channel: SessionChannel,
        event: ControlEvent,
        *,
        author: str | None = None,
        record: bool = True,
        deliver: bool = True,
        unstored: Callable[[], None] | None = None,
    ) -> None:
        """Record an event, then send it to this node's participants and the other nodes'.

        A recorded event goes out once committed. If it cannot be stored: with ``unstored``
        given, nobody gets it and ``unstored`` is called (tell the sender); without, it is
        delivered all the same (the console must go on) and the loss is logged."""
        event = event.model_copy(update={"ts": now_ms()})
        frame = encode(event)
        recorded = record and event.type in RECORDED
        if not deliver:
            if recorded:
                self._store(NewEvent(channel.session_id, event.type, frame.encode(), author, event.ts))
            return

        def send() -> None:
            self.deliver(channel, event, frame)
            self._fanout.publish(FanoutMessage(channel.session_id, FanoutKind.EVENT, frame.encode(), CONTROL))

        if not recorded:
            channel.line.now(send)
            return
        slot = channel.line.hold()

        def stored(error: BaseException | None) -> None:
            if error is None:
                slot.settle(send)
                return
            logger.warning(
                "a %s event could not be recorded%s",
                event.type,
                "; not delivered" if unstored is not None else "; delivered all the same",
                extra={"session_id": channel.session_id},
            )
            slot.settle(None if unstored is not None else send)
            if unstored is not None:
                unstored()

        try:
            self._writer.submit(
                NewEvent(channel.session_id, event.type, frame.encode(), author, event.ts), stored
            )
        except Unavailable as exc:  # the writer stopped (the node is shutting down)
            stored(exc)

    async def settled(self) -> None:
        """Wait until every event emitted so far is recorded and delivered (or failed)."""
        await self._writer.flush()

    def _store(self, new: NewEvent) -> None:
        """Record an event nobody is sent (in the log's order with the others)."""

        def stored(error: BaseException | None) -> None:
            if error is not None:
                logger.warning(
                    "a %s event could not be recorded", new.kind, extra={"session_id": new.session_id}
                )

        try:
            self._writer.submit(new, stored)
        except Unavailable as exc:  # the writer stopped (the node is shutting down)
            stored(exc)

    def emit_within_budget(
        self,
        channel: SessionChannel,
        event: ControlEvent,
        *,
        author: str,
        unstored: Callable[[], None] | None = None,
    ) -> bool:
        """Emit a recorded event if the session's recording allowance has room for it now;
        False (and nothing sent) when it has not."""
        if not self.budget.try_take(channel.session_id, len(encode(event))):
            return False
        self.emit(channel, event, author=author, unstored=unstored)
        return True

    async def record_waiting(self, channel: SessionChannel, event: ControlEvent, *, author: str) -> None:
        """Record without delivering, once the allowance has room (a run's files)."""
        await self.budget.take(channel.session_id, len(encode(event)))
        self.emit(channel, event, author=author, deliver=False)

    async def emit_output(self, channel: SessionChannel, event: ControlEvent) -> None:
        """Emit program output once the session's recording allowance has room for it as
        recorded (the encoded event: JSON escaping makes that up to six times the raw bytes)."""
        await self.budget.take(channel.session_id, len(encode(event)))
        self.emit(channel, event)

    def record_within_budget(
        self, channel: SessionChannel, event: ControlEvent, *, author: str | None = None
    ) -> None:
        """Record without delivering (what was typed into the terminal), if the allowance has
        room; else it goes unrecorded (its echo, the terminal's output, is recorded)."""
        if self.budget.try_take(channel.session_id, len(encode(event))):
            self.emit(channel, event, author=author, deliver=False)

    def to_participant(self, channel: SessionChannel, participant_id: str, event: ControlEvent) -> None:
        """An event for one participant's connections on this node only (errors, refusals)."""
        frame = encode(event.model_copy(update={"ts": now_ms()}))
        for outbox in channel.outboxes_of(participant_id):
            outbox.send(frame)

    def deliver(self, channel: SessionChannel, event: ControlEvent, frame: str) -> None:
        """To this node's participants, keeping the session's shared state in step."""
        if isinstance(event, RunStarted):
            channel.run_going(event.run_id)
        elif isinstance(event, RunFinished):
            channel.run_ended(event.run_id)
        elif isinstance(event, TerminalOpened):
            channel.terminal_going()
        elif isinstance(event, TerminalClosed):
            channel.terminal_open = False
        elif isinstance(event, SessionEnded):
            channel.ended = True
        private = event.type in PRIVATE
        for member, outbox in list(channel.members.values()):
            if private and not sees_private(member.role):
                continue
            outbox.send(frame)
