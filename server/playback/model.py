"""The JSON shapes playback answers with (the REST API and the playback page share them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_serialization_defaults_required=True)


class SessionFacts(_Shape):
    id: str
    title: str
    language: str
    state: str
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None


class PlaybackParticipant(_Shape):
    id: str
    name: str
    role: str
    color: str = Field(description="the colour the pad draws this participant's cursor in (CSS)")
    joined_ms: int = Field(description="first join (server ms)")


class Marker(_Shape):
    """Something worth jumping to. ``kind``: run, paste, focus, visibility, chat, note, join,
    leave, session.ended, terminal.opened, terminal.closed, file.created, file.deleted,
    file.renamed, file.language."""

    id: int = Field(description="the event's id (an ``after`` for the events query)")
    ts: int = Field(description="server time, ms")
    kind: str
    author: str | None = Field(description="participant id, when one caused it")
    name: str | None = Field(default=None, description="the author's display name, as recorded")
    text: str | None = Field(default=None, description="chat and notes: the message")
    run_id: str | None = None
    end_ts: int | None = Field(default=None, description="runs: when it finished")
    status: str | None = Field(default=None, description="runs: how it ended; running if it never did")
    mode: str | None = None
    passed: int | None = Field(default=None, description="runs with tests: tests passed")
    failed: int | None = Field(default=None, description="runs with tests: tests failed or errored")
    chars: int | None = Field(default=None, description="pastes: size")
    external: bool | None = Field(default=None, description="pastes: not copied in the editor")
    state: str | None = Field(default=None, description="focus: lost|regained; visibility: hidden|visible")
    path: str | None = Field(default=None, description="file markers: the file (a rename: its old name)")
    renamed_to: str | None = Field(default=None, description="file.renamed: the new name")
    language: str | None = Field(default=None, description="file.created, file.language: the language")


class Timeline(_Shape):
    session: SessionFacts
    start_ms: int = Field(description="the first recorded event (server ms)")
    end_ms: int = Field(description="the last recorded event")
    participants: list[PlaybackParticipant]
    markers: list[Marker]
    active_spans: list[list[int]] = Field(
        description="[start, end] ms where something happened with gaps under idle_gap_ms; the rest is idle"
    )
    idle_gap_ms: int
    updates: int = Field(description="document updates recorded")
    truncated: bool = Field(description="more marker events than one timeline holds: the first ones are kept")


class FileState(_Shape):
    path: str
    text: str
    language: str | None


class Cursor(_Shape):
    participant: str | None
    client: int
    state: dict[str, Any] = Field(description="the participant's awareness state (user, file, cursor)")


class ConsoleOutput(_Shape):
    ts: int
    stream: str
    data: str


class ConsoleRun(_Shape):
    run_id: str
    ts: int
    by: str
    mode: str
    file: str
    language: str
    output: list[ConsoleOutput]
    finished: dict[str, Any] | None = Field(description="the run.finished event, once it was, at t")
    truncated: bool


class ConsoleTerminal(_Shape):
    open: bool
    text: str = Field(description="the terminal's output since it opened, its tail")
    truncated: bool


class Console(_Shape):
    run: ConsoleRun | None
    terminal: ConsoleTerminal | None


class PlaybackState(_Shape):
    t: int
    files: list[FileState]
    main: str | None
    active: str | None
    updates: list[str] = Field(
        description="the document at t: Yjs v1 updates, base64, to apply in order (a seek point, then"
        " the updates after it up to t)"
    )
    cursors: list[Cursor]
    console: Console


class PlaybackEvent(_Shape):
    id: int
    ts: int
    kind: str
    author: str | None
    data: Any = Field(description="doc.update: the Yjs update, base64; every other kind: its JSON")


class EventPage(_Shape):
    events: list[PlaybackEvent]
    next_after: int | None = Field(description="pass as ``after`` for the next page; null: no more")
