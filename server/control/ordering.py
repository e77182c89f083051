"""Delivery in order, each event once it may be seen.

A recorded event is delivered once the event log committed it, so that nothing a participant
saw is lost when the node dies; events that are not recorded (a queue position, the session's
end) wait behind the recorded ones sent before them, so everyone still sees one session's events
in the order they happened. One ``InOrder`` per session channel.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

Action = Callable[[], None]


@dataclass(eq=False, slots=True)
class Slot:
    """One event's place in the line: it goes once it, and every slot before it, settled."""

    _line: InOrder
    action: Action | None = None
    settled: bool = False

    def settle(self, action: Action | None) -> None:
        """``action`` (delivering the event) runs in its turn; None: the event goes nowhere."""
        self.action = action
        self.settled = True
        self._line.advance()


@dataclass(eq=False)
class InOrder:
    _slots: deque[Slot] = field(default_factory=deque)

    def hold(self) -> Slot:
        """A place for an event that may go only later (once committed)."""
        slot = Slot(self)
        self._slots.append(slot)
        return slot

    def now(self, action: Action) -> None:
        """An event that may go at once: it still waits for the events held before it."""
        self.hold().settle(action)

    @property
    def waiting(self) -> int:
        return len(self._slots)

    def advance(self) -> None:
        while self._slots and self._slots[0].settled:
            slot = self._slots.popleft()
            if slot.action is not None:
                try:
                    slot.action()
                except Exception:  # one event's failure must not hold up the ones behind it
                    logger.exception("delivering a control event failed")
