"""Commands: what participants may send on the control channel (JSON, one per frame). What the
server sends back is in ``server.control.events``; both are declared once, here, and the
browser's types are generated from them (``web-src/pad/protocol.ts``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from server.exec.sandbox import Mode
from server.media.messages import (
    MediaAnswer,
    MediaCandidate,
    MediaCommand,
    MediaJoin,
    MediaLeave,
    MediaOffer,
    MediaUnpublish,
)


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunStart(_Command):
    type: Literal["run.start"]
    mode: Mode = "run"
    file: str | None = Field(default=None, max_length=200, description="the entry file; default: meta.active")
    stdin: str = Field(default="", max_length=64 * 1024)


class RunStdin(_Command):
    type: Literal["run.stdin"]
    run_id: str = Field(max_length=64)
    data: str = Field(max_length=64 * 1024)


class RunStop(_Command):
    type: Literal["run.stop"]
    run_id: str = Field(max_length=64)


class TerminalOpen(_Command):
    type: Literal["terminal.open"]
    language: Literal["python", "javascript", "bash"] = "python"
    rows: int = Field(default=24, ge=2, le=500)
    cols: int = Field(default=80, ge=10, le=1000)


class TerminalInput(_Command):
    type: Literal["terminal.input"]
    data: str = Field(max_length=16 * 1024)


class TerminalResize(_Command):
    type: Literal["terminal.resize"]
    rows: int = Field(ge=2, le=500)
    cols: int = Field(ge=10, le=1000)


class TerminalClose(_Command):
    type: Literal["terminal.close"]


class Chat(_Command):
    type: Literal["chat"]
    text: str = Field(min_length=1, max_length=4000)


class Note(_Command):
    """A private note: interviewers only; only those who see private things ever receive it."""

    type: Literal["note"]
    text: str = Field(min_length=1, max_length=8000)


#: The largest paste a signal may report (characters); a larger number is refused, not clamped.
MAX_PASTE_CHARS = 10**7


class PasteSignal(_Command):
    """Text pasted into the editor: how much, and whether it came from outside the editor (it
    differs from the last copy or cut inside it)."""

    type: Literal["signal"]
    kind: Literal["paste"]
    chars: int = Field(ge=0, le=MAX_PASTE_CHARS)
    external: bool


class FocusSignal(_Command):
    """The pad's window lost or regained the focus."""

    type: Literal["signal"]
    kind: Literal["focus"]
    state: Literal["lost", "regained"]


class VisibilitySignal(_Command):
    """The pad's tab was hidden or shown again."""

    type: Literal["signal"]
    kind: Literal["visibility"]
    state: Literal["hidden", "visible"]


#: What the browser reports of itself: facts for the interviewers, never verdicts.
Signal = Annotated[PasteSignal | FocusSignal | VisibilitySignal, Field(discriminator="kind")]


class SessionEnd(_Command):
    """End the session for everyone: interviewers only."""

    type: Literal["session.end"]


Command = Annotated[
    RunStart
    | RunStdin
    | RunStop
    | TerminalOpen
    | TerminalInput
    | TerminalResize
    | TerminalClose
    | Chat
    | Note
    | Signal
    | SessionEnd
    | MediaJoin
    | MediaOffer
    | MediaAnswer
    | MediaCandidate
    | MediaUnpublish
    | MediaLeave,
    Field(discriminator="type"),
]
#: The media commands (``server.media.messages``): signalling, handed to the media hub.
MEDIA_COMMANDS: tuple[type[MediaCommand], ...] = (
    MediaJoin,
    MediaOffer,
    MediaAnswer,
    MediaCandidate,
    MediaUnpublish,
    MediaLeave,
)
COMMAND: TypeAdapter[Command] = TypeAdapter(Command)


class BadCommand(ValueError):
    """A frame that is not a valid command."""


def parse(frame: str) -> Command:
    try:
        return COMMAND.validate_json(frame)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "message"
        raise BadCommand(f"invalid message ({where}: {first.get('msg', 'invalid')})") from None
