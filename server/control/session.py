"""One session's control channel as this node holds it: who is connected, what runs where."""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from server.channels.outbox import Outbox
from server.exec.sandbox import Terminal
from server.sessions.roles import Role


@dataclass(frozen=True, slots=True)
class ControlMember:
    session_id: str
    participant_id: str
    name: str
    role: Role
    can_run: bool
    can_chat: bool


@dataclass(eq=False)
class LocalRun:
    """The run this node executes for the session: where its stdin goes, how to stop it."""

    run_id: str
    stdin: MemoryObjectSendStream[bytes]
    stop: anyio.Event = field(default_factory=anyio.Event)


@dataclass(eq=False)
class LocalTerminal:
    """The terminal this node holds for the session."""

    terminal: Terminal
    input: MemoryObjectSendStream[bytes]
    close: anyio.Event = field(default_factory=anyio.Event)
    typed: anyio.Event = field(default_factory=anyio.Event)  # set (then replaced) on input


@dataclass(eq=False)
class SessionChannel:
    session_id: str
    members: dict[int, tuple[ControlMember, Outbox[str]]] = field(default_factory=dict)
    ended: bool = False
    active_run: str | None = None  # any node's
    terminal_open: bool = False  # any node's
    local_run: LocalRun | None = None
    local_terminal: LocalTerminal | None = None

    @property
    def idle(self) -> bool:
        return not self.members and self.local_run is None and self.local_terminal is None

    def join(self, member: ControlMember, outbox: Outbox[str]) -> None:
        self.members[outbox.id] = (member, outbox)

    def leave(self, outbox: Outbox[str]) -> None:
        self.members.pop(outbox.id, None)

    def outboxes_of(self, participant_id: str) -> list[Outbox[str]]:
        return [outbox for member, outbox in self.members.values() if member.participant_id == participant_id]
