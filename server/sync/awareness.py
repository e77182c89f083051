"""What the server lets into an awareness state before every other browser renders it.

Browsers parse each state with ``JSON.parse`` and draw the cursors from it: a state that only
Python's parser accepts (``NaN``, ``Infinity``, a number too large for a double) would throw in
every other participant's page, a ``user.color`` ends up in a ``style`` attribute, and a malformed
``cursor`` breaks the editor's remote-selection rendering. So the server rewrites each state it
accepts: the identity fields are its own (nobody shows up under someone else's name or role),
colours must be plain colour values, the cursor must be two Yjs relative positions, and every
number must be finite.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from server.sync.connection import ClientInfo
from server.sync.protocol import ProtocolError

_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
#: ``#rgb``, ``#rgba``, ``#rrggbb``, ``#rrggbbaa`` or ``hsl(H S% L%[ / A])`` (what the pad sends).
_COLOR = re.compile(
    r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})"
    r"|hsl\(\d{1,3}(?:\.\d+)? \d{1,3}(?:\.\d+)?% \d{1,3}(?:\.\d+)?%(?: / (?:0|1|0?\.\d+))?\)"
)
COLOR_FIELDS = ("color", "colorLight")
MAX_TYPE_NAME = 256
#: The largest integer a JavaScript number holds exactly.
MAX_SAFE_INTEGER = 2**53 - 1


def _refuse_constant(name: str) -> Any:
    raise ProtocolError(f"awareness state holds {name}, which is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ProtocolError("awareness state holds a number no browser can read")
    return value


def _parse(state: bytes) -> Any:
    try:
        return json.loads(state, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, or an integer too long
        raise ProtocolError("awareness state is not JSON") from exc


def _is_id(value: Any) -> bool:
    """A Yjs ID as JSON: ``{"client": n, "clock": n}``."""
    return (
        isinstance(value, dict)
        and value.keys() == {"client", "clock"}
        and all(_is_count(value[key]) for key in ("client", "clock"))
    )


def _is_count(value: Any) -> bool:
    return type(value) is int and 0 <= value <= MAX_SAFE_INTEGER


def _is_relative_position(value: Any) -> bool:
    """``Y.relativePositionToJSON``'s shape: optional type / tname / item / assoc."""
    if not isinstance(value, dict) or not value.keys() <= {"type", "tname", "item", "assoc"}:
        return False
    for key in ("type", "item"):
        if value.get(key) is not None and not _is_id(value[key]):
            return False
    tname = value.get("tname")
    if tname is not None and not (isinstance(tname, str) and len(tname) <= MAX_TYPE_NAME):
        return False
    assoc = value.get("assoc", 0)
    return type(assoc) is int and abs(assoc) <= MAX_SAFE_INTEGER


def _is_cursor(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.keys() == {"anchor", "head"}
        and _is_relative_position(value["anchor"])
        and _is_relative_position(value["head"])
    )


def _safe_integers(value: Any) -> bool:
    """Every integer fits a JavaScript number exactly (larger ones change meaning in browsers)."""
    if type(value) is int:
        return abs(value) <= MAX_SAFE_INTEGER
    if isinstance(value, dict):
        return all(_safe_integers(item) for item in value.values())
    if isinstance(value, list):
        return all(_safe_integers(item) for item in value)
    return True


def accept_state(state: bytes, info: ClientInfo) -> bytes:
    """The state as the other participants get it; raises ProtocolError if it is not JSON a
    browser reads the same way."""
    value = _parse(state)
    if not _safe_integers(value):
        raise ProtocolError("awareness state holds an integer no browser can read exactly")
    if not isinstance(value, dict):
        return _COMPACT_JSON.encode(value).encode()
    user = value.get("user")
    user = dict(user) if isinstance(user, dict) else {}
    for name in COLOR_FIELDS:
        color = user.get(name)
        if color is not None and not (isinstance(color, str) and _COLOR.fullmatch(color)):
            del user[name]  # the pads draw a neutral colour instead
    user.update(name=info.display_name, role=info.role.value, participant=info.participant_id)
    value["user"] = user
    if "cursor" in value and value["cursor"] is not None and not _is_cursor(value["cursor"]):
        value["cursor"] = None
    return _COMPACT_JSON.encode(value).encode()
