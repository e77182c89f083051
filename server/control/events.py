"""Events: what the server sends on the control channel, and records in the session's log.

Every event has a ``type`` and the server time it was sent (``ts``, ms). The ones in ``Recorded``
go to the session's event log as they were delivered (what was recorded is what participants
saw) and come back in ``Hello.history``. The browser's types are generated from these models
(``web-src/pad/protocol.ts``, checked by ``tests/control/test_protocol_types.py``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from server.exec.executor import Execution
from server.exec.outcome import RunOutcome, TestOutcome
from server.exec.sandbox import Mode, Stream
from server.media.messages import MediaAnswered, MediaClosed, MediaOffered, MediaReady


class _Event(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, json_schema_serialization_defaults_required=True
    )

    ts: int = Field(default=0, description="server time (ms) the event was sent")


class You(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_serialization_defaults_required=True)

    participant: str
    name: str
    role: str
    can_run: bool


class Ping(_Event):
    """Sent on a quiet connection, so clients do not time out."""

    type: Literal["ping"] = "ping"


class ErrorNotice(_Event):
    """A command refused or failed; only its sender gets it, and nothing changed."""

    type: Literal["error"] = "error"
    message: str
    request: str | None = Field(default=None, description="the command's type, when it answers one")


class ChatPosted(_Event):
    type: Literal["chat"] = "chat"
    sender: str = Field(alias="from", description="the sender's display name, from the server")
    role: str
    text: str


class NotePosted(_Event):
    """An interviewer's private note: delivered only to those whose role sees private things."""

    type: Literal["note"] = "note"
    sender: str = Field(alias="from", description="the author's display name, from the server")
    text: str


class SignalRaised(_Event):
    """What a participant's browser reported (a paste, the window's focus, the tab hidden): a
    fact for the interviewers, never a verdict; delivered only to those who see private things."""

    type: Literal["signal"] = "signal"
    participant: str = Field(description="who it is about (participant id)")
    sender: str = Field(alias="from", description="their display name, from the server")
    role: str
    kind: Literal["paste", "focus", "visibility"]
    chars: int | None = Field(default=None, description="paste: how many characters")
    external: bool | None = Field(
        default=None, description="paste: the text was not the last copied or cut inside the editor"
    )
    state: Literal["lost", "regained", "hidden", "visible"] | None = Field(
        default=None, description="focus: lost/regained; visibility: hidden/visible"
    )


class RunQueued(_Event):
    type: Literal["run.queued"] = "run.queued"
    run_id: str
    position: int


class RunStarted(_Event):
    type: Literal["run.started"] = "run.started"
    run_id: str
    by: str
    mode: Mode
    file: str
    language: str


class RunFiles(_Event):
    """The exact files a run got, as the server took them from the document: recorded, never
    sent (participants have the document)."""

    type: Literal["run.files"] = "run.files"
    run_id: str
    files: dict[str, str]


class RunOutput(_Event):
    type: Literal["run.output"] = "run.output"
    run_id: str
    stream: Stream
    data: str


class RunSummary(RunOutcome):
    """What participants see of a finished run (its output was streamed)."""

    stopped: bool
    truncated: bool
    tests: list[TestOutcome] | None = None
    tampered: bool = Field(
        default=False, description="a test run the harness did not finish or seal: nothing scored"
    )
    evidence: list[str] = Field(default_factory=list, description="why the test run is tampered")

    @classmethod
    def of_execution(cls, execution: Execution) -> RunSummary:
        result, report = execution.result, execution.tests
        tests = [TestOutcome.of(r) for r in report.results] if report is not None else None
        return cls.of(
            result,
            stopped=result.stopped,
            truncated=result.stdout_truncated or result.stderr_truncated,
            tests=tests,
            tampered=report is not None and report.tampered,
            evidence=list(report.evidence) if report is not None else [],
        )


class RunFinished(_Event):
    """However a run ends: with its ``result``, or with an ``error`` when it could not run."""

    type: Literal["run.finished"] = "run.finished"
    run_id: str
    result: RunSummary | None = None
    error: str | None = None


class TerminalOpened(_Event):
    type: Literal["terminal.opened"] = "terminal.opened"
    language: str
    by: str


class TerminalTyped(_Event):
    """Keys typed into the terminal: recorded, not sent (participants see the program's echo)."""

    type: Literal["terminal.input"] = "terminal.input"
    data: str


class TerminalOutput(_Event):
    type: Literal["terminal.output"] = "terminal.output"
    data: str


class TerminalClosed(_Event):
    type: Literal["terminal.closed"] = "terminal.closed"
    reason: str = Field(default="", description="why, when a limit or the server ended it")
    failed: bool = Field(default=False, description="it never opened")


class SessionEnded(_Event):
    type: Literal["session.ended"] = "session.ended"


Recorded = Annotated[
    RunStarted
    | RunOutput
    | RunFinished
    | ChatPosted
    | NotePosted
    | SignalRaised
    | TerminalOpened
    | TerminalTyped
    | TerminalOutput
    | TerminalClosed,
    Field(discriminator="type"),
]
#: The kinds of ``Recorded``, the ones a joiner's history holds.
HISTORY: tuple[str, ...] = (
    "run.started",
    "run.output",
    "run.finished",
    "chat",
    "note",
    "signal",
    "terminal.opened",
    "terminal.input",
    "terminal.output",
    "terminal.closed",
)
#: Events only participants whose role sees private things ever receive (sessions.roles.sees_private),
#: live, from another node, or in their history.
PRIVATE: frozenset[str] = frozenset({"note", "signal"})
#: Every control event recorded in the session's log: the history's, and the run's files.
RECORDED: tuple[str, ...] = (*HISTORY, "run.files")
RECORDED_EVENT: TypeAdapter[Recorded] = TypeAdapter(Recorded)


class Hello(_Event):
    """The first event on every connection."""

    type: Literal["hello"] = "hello"
    you: You
    active_run: str | None
    terminal_open: bool
    history: list[Recorded] = Field(description="the session's last recorded events, oldest first")


ControlEvent = Annotated[
    Hello
    | Ping
    | ErrorNotice
    | ChatPosted
    | NotePosted
    | SignalRaised
    | RunQueued
    | RunStarted
    | RunFiles
    | RunOutput
    | RunFinished
    | TerminalOpened
    | TerminalTyped
    | TerminalOutput
    | TerminalClosed
    | SessionEnded
    | MediaReady
    | MediaAnswered
    | MediaOffered
    | MediaClosed,
    Field(discriminator="type"),
]
CONTROL_EVENT: TypeAdapter[ControlEvent] = TypeAdapter(ControlEvent)
