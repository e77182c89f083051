"""Awareness states as other browsers get them: identity from the server, JSON they read the
same way, plain colours, well-formed cursors."""

from __future__ import annotations

import json

import pytest

from server.sessions.roles import Role
from server.sync.awareness import accept_state
from server.sync.connection import ClientInfo
from server.sync.protocol import ProtocolError

EVE = ClientInfo(session_id="s", participant_id="p1", role=Role.CANDIDATE, display_name="Eve", writable=True)
POSITION = {"type": {"client": 3, "clock": 0}, "tname": None, "item": {"client": 9, "clock": 41}, "assoc": 0}


def accepted(state: object) -> object:
    return json.loads(accept_state(json.dumps(state).encode(), EVE))


def test_identity_is_the_servers() -> None:
    seen = accepted({"user": {"name": "Interviewer", "role": "interviewer", "color": "#a1b2c3"}})
    assert seen == {"user": {"name": "Eve", "role": "candidate", "participant": "p1", "color": "#a1b2c3"}}


@pytest.mark.parametrize(
    "state", [b'{"x": NaN}', b'{"x": -Infinity}', b'{"x": 1e999}', b'{"x": 9007199254740993}', b"[1", b"\xff"]
)
def test_what_a_browser_would_read_differently_is_refused(state: bytes) -> None:
    with pytest.raises(ProtocolError):
        accept_state(state, EVE)


def test_colours_must_be_colours_and_cursors_positions() -> None:
    seen = accepted(
        {
            "user": {"color": "red;background:url(//evil)", "colorLight": "hsl(200 80% 42% / 0.18)"},
            "cursor": {"anchor": POSITION, "head": POSITION},
        }
    )
    assert isinstance(seen, dict)
    assert "color" not in seen["user"] and seen["user"]["colorLight"] == "hsl(200 80% 42% / 0.18)"
    assert seen["cursor"] == {"anchor": POSITION, "head": POSITION}
    for cursor in (
        3,
        {"anchor": POSITION},
        {"anchor": {"item": {"client": -1, "clock": 0}}, "head": POSITION},
    ):
        assert accepted({"cursor": cursor}) == {
            "user": {"name": "Eve", "role": "candidate", "participant": "p1"},
            "cursor": None,
        }
