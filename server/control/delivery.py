"""The control channel's events (``server.control.events``): stamped, delivered to this node's
participants and the other nodes', and recorded, all from one place.

What is recorded is exactly what participants saw. Chat that would take the session past its
recording allowance is refused before anyone sees it; run and terminal output wait for the
allowance, which slows the program down rather than dropping what it printed.
"""

from __future__ import annotations

import logging

from server.channels.fanout import CONTROL, Fanout, FanoutKind, FanoutMessage
from server.control.events import (
    RECORDED,
    ControlEvent,
    RunFinished,
    RunStarted,
    SessionEnded,
    TerminalClosed,
    TerminalOpened,
)
from server.control.session import SessionChannel
from server.recording.budget import RecordingBudget
from server.recording.events import NewEvent, now_ms
from server.recording.writer import EventWriter

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
    ) -> None:
        """Send an event to this node's participants and the other nodes'; record it."""
        event = event.model_copy(update={"ts": now_ms()})
        frame = encode(event)
        if deliver:
            self.deliver(channel, event, frame)
            self._fanout.publish(FanoutMessage(channel.session_id, FanoutKind.EVENT, frame.encode(), CONTROL))
        if record and event.type in RECORDED:
            self._writer.append_nowait(
                NewEvent(channel.session_id, event.type, frame.encode(), author, event.ts)
            )

    def emit_within_budget(self, channel: SessionChannel, event: ControlEvent, *, author: str) -> bool:
        """Emit a recorded event if the session's recording allowance has room for it now;
        False (and nothing sent) when it has not."""
        if not self.budget.try_take(channel.session_id, len(encode(event))):
            return False
        self.emit(channel, event, author=author)
        return True

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
        for _, outbox in list(channel.members.values()):
            outbox.send(frame)
