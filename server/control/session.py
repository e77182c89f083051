"""One session's control channel as this node holds it: who is connected, what runs where."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from server.channels.outbox import Outbox
from server.control.ordering import InOrder
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
    can_note: bool
    can_signal: bool
    can_end: bool  # end the session (interviewers of a live session)
    org_id: str
    can_publish_media: bool = False  # microphone, camera, screen (sessions.roles.can_publish_media)
    can_receive_media: bool = False


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
    #: When this node last heard that the active run, or the open terminal, is going (monotonic
    #: seconds): its start, or its node's beat. A node that dies stops beating.
    run_heard: float = 0.0
    terminal_heard: float = 0.0
    #: Runs known to be over: a late word of them (the recording, a beat) does not bring them back.
    runs_over: deque[str] = field(default_factory=lambda: deque(maxlen=64))
    #: This node's events, each delivered once recorded, in the order they were sent.
    line: InOrder = field(default_factory=InOrder)

    def run_going(self, run_id: str) -> None:
        """Some node runs ``run_id`` (it started, or its node says it still runs it)."""
        if run_id not in self.runs_over:
            self.active_run = run_id
            self.run_heard = time.monotonic()

    def run_ended(self, run_id: str) -> None:
        self.runs_over.append(run_id)
        if self.active_run == run_id:
            self.active_run = None

    def terminal_going(self) -> None:
        self.terminal_open = True
        self.terminal_heard = time.monotonic()

    @property
    def idle(self) -> bool:
        return not self.members and self.local_run is None and self.local_terminal is None

    def join(self, member: ControlMember, outbox: Outbox[str]) -> None:
        self.members[outbox.id] = (member, outbox)

    def leave(self, outbox: Outbox[str]) -> None:
        self.members.pop(outbox.id, None)

    def outboxes_of(self, participant_id: str) -> list[Outbox[str]]:
        return [outbox for member, outbox in self.members.values() if member.participant_id == participant_id]
