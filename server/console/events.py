"""The control channel's events: stamped, delivered to this node's participants and the other
nodes', and recorded, all from one place.

What is recorded is exactly what participants saw. Chat that would take the session past its
recording allowance is refused before anyone sees it; run and terminal output wait for the
allowance, which slows the program down rather than dropping what it printed.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from server.channels.fanout import CONTROL, Fanout, FanoutMessage, Kind
from server.console.session import SessionConsole
from server.recording.budget import RecordingBudget
from server.recording.events import NewEvent, now_ms
from server.recording.writer import EventWriter

logger = logging.getLogger(__name__)

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


class ConsoleEvents:
    def __init__(self, writer: EventWriter, fanout: Fanout, budget: RecordingBudget) -> None:
        self._writer = writer
        self._fanout = fanout
        self.budget = budget

    def emit(
        self,
        console: SessionConsole,
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
            self.deliver(console, event, frame)
            self._fanout.publish(FanoutMessage(console.session_id, Kind.EVENT, frame.encode(), CONTROL))
        if record and event["type"] in RECORDED:
            self._writer.append_nowait(
                NewEvent(console.session_id, event["type"], frame.encode(), author, event["ts"])
            )

    def emit_within_budget(self, console: SessionConsole, event: dict[str, Any], *, author: str) -> bool:
        """Emit a recorded event if the session's recording allowance has room for it now;
        False (and nothing sent) when it has not."""
        size = len(json.dumps(event))
        if not self.budget.try_take(console.session_id, size):
            return False
        self.emit(console, event, author=author)
        return True

    async def emit_output(self, console: SessionConsole, event: dict[str, Any], size: int) -> None:
        """Emit program output once the session's recording allowance has ``size`` bytes."""
        await self.budget.take(console.session_id, size)
        self.emit(console, event)

    def record_within_budget(
        self, console: SessionConsole, event: dict[str, Any], *, author: str | None = None
    ) -> None:
        """Record without delivering (what was typed into the terminal), if the allowance has
        room; else it goes unrecorded (its echo, the terminal's output, is recorded)."""
        if self.budget.try_take(console.session_id, len(json.dumps(event))):
            self.emit(console, event, author=author, deliver=False)

    def to_participant(self, console: SessionConsole, participant_id: str, event: dict[str, Any]) -> None:
        """An event for one participant's connections on this node only (errors, refusals)."""
        frame = json.dumps({**event, "ts": now_ms()})
        for outbox in console.outboxes_of(participant_id):
            outbox.send(frame)

    def deliver(self, console: SessionConsole, event: dict[str, Any], frame: str) -> None:
        """To this node's participants, keeping the session's shared state in step."""
        kind = event["type"]
        if kind == "run.started":
            console.active_run = event["run_id"]
        elif kind == "run.finished" and console.active_run == event["run_id"]:
            console.active_run = None
        elif kind == "terminal.opened":
            console.terminal_open = True
        elif kind == "terminal.closed":
            console.terminal_open = False
        elif kind == "session.ended":
            console.ended = True
        for _, outbox in list(console.members.values()):
            outbox.send(frame)
