"""What participants may send on the control channel (JSON, one message per frame)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunStart(_Message):
    type: Literal["run.start"]
    mode: Literal["run", "test"] = "run"
    file: str | None = Field(default=None, max_length=200, description="the entry file; default: meta.active")
    stdin: str = Field(default="", max_length=64 * 1024)


class RunStdin(_Message):
    type: Literal["run.stdin"]
    run_id: str = Field(max_length=64)
    data: str = Field(max_length=64 * 1024)


class RunStop(_Message):
    type: Literal["run.stop"]
    run_id: str = Field(max_length=64)


class TerminalOpen(_Message):
    type: Literal["terminal.open"]
    language: Literal["python", "javascript", "bash"] = "python"
    rows: int = Field(default=24, ge=2, le=500)
    cols: int = Field(default=80, ge=10, le=1000)


class TerminalInput(_Message):
    type: Literal["terminal.input"]
    data: str = Field(max_length=16 * 1024)


class TerminalResize(_Message):
    type: Literal["terminal.resize"]
    rows: int = Field(ge=2, le=500)
    cols: int = Field(ge=10, le=1000)


class TerminalClose(_Message):
    type: Literal["terminal.close"]


class Chat(_Message):
    type: Literal["chat"]
    text: str = Field(min_length=1, max_length=4000)


ClientMessage = Annotated[
    RunStart | RunStdin | RunStop | TerminalOpen | TerminalInput | TerminalResize | TerminalClose | Chat,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)


class BadMessage(ValueError):
    """A frame that is not a valid control message."""


def parse(frame: str) -> ClientMessage:
    try:
        return _ADAPTER.validate_json(frame)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "message"
        raise BadMessage(f"invalid message ({where}: {first.get('msg', 'invalid')})") from None
