"""Checking Yjs updates from an archive before anything trusts them."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc

from server.errors import InvalidInput

#: A Yjs v1 update's client section takes at least this many bytes (as server/sync/protocol.py).
_MIN_CLIENT_SECTION = 3
_MAX_VAR_UINT_BYTES = 10


def _clients_claimed(update: bytes) -> tuple[int, int]:
    value, shift = 0, 0
    for pos in range(min(len(update), _MAX_VAR_UINT_BYTES)):
        byte = update[pos]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos + 1
        shift += 7
    raise ValueError("truncated varUint")


def apply_checked(doc: Doc[Any], update: bytes, where: str) -> None:
    """Apply ``update`` to ``doc``; InvalidInput naming ``where`` if it is not a Yjs v1 update.
    The client count is checked first: Yrs reserves room for as many as an update claims."""
    try:
        clients, pos = _clients_claimed(update)
        if clients * _MIN_CLIENT_SECTION > len(update) - pos:
            raise ValueError("the update claims more clients than it holds")
        doc.apply_update(update)
    except Exception as exc:  # pycrdt raises plain exceptions on undecodable input
        raise InvalidInput(f"{where} is not a valid Yjs update", details={"entry": where}) from exc
