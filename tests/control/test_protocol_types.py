"""The browser's control-channel types are generated from the server's declared models: the
committed web-src/pad/protocol.ts must be what the generator writes now (run
`scripts/protocol-types` after changing a model)."""

from __future__ import annotations

from pathlib import Path

from server.control.commands import COMMAND
from server.control.events import CONTROL_EVENT, RECORDED
from server.control.typescript import typescript

PROTOCOL = Path(__file__).resolve().parents[2] / "web-src" / "pad" / "protocol.ts"


def test_the_typescript_is_generated_from_the_models() -> None:
    assert PROTOCOL.read_text() == typescript(), (
        "web-src/pad/protocol.ts is stale: run scripts/protocol-types"
    )


def test_every_event_and_command_type_is_declared_once() -> None:
    events = CONTROL_EVENT.json_schema(mode="serialization")["discriminator"]["mapping"]
    commands = COMMAND.json_schema()["discriminator"]["mapping"]
    assert set(RECORDED) <= set(events)
    assert {"hello", "ping", "error", "session.ended", "run.queued"} <= set(events)
    assert set(commands) == {
        "run.start",
        "run.stdin",
        "run.stop",
        "terminal.open",
        "terminal.input",
        "terminal.resize",
        "terminal.close",
        "chat",
        "note",
        "signal",
        "session.end",
        "media.join",
        "media.offer",
        "media.answer",
        "media.candidate",
        "media.unpublish",
        "media.leave",
    }
    assert {"media.ready", "media.offer", "media.answer", "media.closed"} <= set(events)
