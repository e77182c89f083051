"""Opaque page cursors of the list endpoints: a row's (created_at, id), keyset order."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from server.errors import BadRequest


def encode_cursor(created_at: datetime, row_id: str) -> str:
    raw = f"{created_at.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (created_at, id) a cursor this API issued stands for; 400 for any other string."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, row_id = raw.split("|", 1)
        parsed = datetime.fromisoformat(at)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("cursor is not one this API issued", details={"field": "cursor"}) from exc
    if parsed.tzinfo is None:
        raise BadRequest("cursor is not one this API issued", details={"field": "cursor"})
    return parsed, row_id
