"""The y-websocket wire protocol: one message per binary frame, lib0 encoding, decoded defensively.

Frames (y-protocols PROTOCOL.md):
    0 sync       varUint(0) varUint(sub) varUint8Array(payload)   sub: 0 step1, 1 step2, 2 update
    1 awareness  varUint(1) varUint8Array(n • n × (varUint id • varUint clock • varString json))
    2 auth       varUint(2) ...                                     (server -> client only; ignored)
    3 query      varUint(3)                                         (answer: every known state)

Awareness states are kept as raw UTF-8 JSON bytes: the hot path never parses JSON, and lengths
are written in bytes (pycrdt's ``Encoder.write_var_string`` writes code points, which corrupts
non-ASCII names).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

MAX_VAR_UINT_BYTES = 8  # 53 bits fit in 8 groups of 7
MAX_AWARENESS_ENTRIES = 1024
#: More Yjs clients than one document ever sees (every page load is one).
MAX_STATE_VECTOR_ENTRIES = 1 << 16
#: The fewest bytes one client's section of an update takes: struct count, client, clock.
MIN_CLIENT_SECTION = 3
NULL_STATE = b"null"


class ProtocolError(ValueError):
    """A frame that does not follow the protocol."""


class MessageType(IntEnum):
    SYNC = 0
    AWARENESS = 1
    AUTH = 2
    QUERY_AWARENESS = 3


class SyncType(IntEnum):
    STEP1 = 0
    STEP2 = 1
    UPDATE = 2


@dataclass(frozen=True, slots=True)
class SyncMessage:
    kind: SyncType
    payload: bytes


@dataclass(frozen=True, slots=True)
class AwarenessMessage:
    payload: bytes


@dataclass(frozen=True, slots=True)
class QueryAwareness:
    pass


@dataclass(frozen=True, slots=True)
class AwarenessEntry:
    client_id: int
    clock: int
    state: bytes  # UTF-8 JSON; b"null" when the client left

    @property
    def removed(self) -> bool:
        return self.state == NULL_STATE


Message = SyncMessage | AwarenessMessage | QueryAwareness


# ---- lib0 primitives ---------------------------------------------------------------------------

_ONE_BYTE = [bytes((value,)) for value in range(0x80)]


def read_var_uint(data: bytes, pos: int) -> tuple[int, int]:
    if pos < len(data) and data[pos] < 0x80:  # one byte: message types, small lengths and counts
        return data[pos], pos + 1
    value = 0
    shift = 0
    for _ in range(MAX_VAR_UINT_BYTES):
        if pos >= len(data):
            raise ProtocolError("truncated varUint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
    raise ProtocolError("varUint longer than 53 bits")


def read_var_bytes(data: bytes, pos: int) -> tuple[bytes, int]:
    length, pos = read_var_uint(data, pos)
    end = pos + length
    if end > len(data):
        raise ProtocolError("length prefix runs past the end of the frame")
    return data[pos:end], end


def var_uint(value: int) -> bytes:
    if 0 <= value < 0x80:
        return _ONE_BYTE[value]
    if value < 0:
        raise ValueError("varUint must be non-negative")
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def var_bytes(payload: bytes) -> bytes:
    return var_uint(len(payload)) + payload


# ---- frames ------------------------------------------------------------------------------------


def parse_frame(frame: bytes) -> Message:
    """Decode one frame; anything malformed, unknown or with trailing bytes is a ProtocolError."""
    if not frame:
        raise ProtocolError("empty frame")
    kind, pos = read_var_uint(frame, 0)
    message: Message
    if kind == MessageType.SYNC:
        sub, pos = read_var_uint(frame, pos)
        if sub > SyncType.UPDATE:
            raise ProtocolError(f"unknown sync message type {sub}")
        payload, pos = read_var_bytes(frame, pos)
        message = SyncMessage(_SYNC_TYPES[sub], payload)
    elif kind == MessageType.AWARENESS:
        payload, pos = read_var_bytes(frame, pos)
        message = AwarenessMessage(payload)
    elif kind == MessageType.QUERY_AWARENESS:
        message = QueryAwareness()
    else:
        raise ProtocolError(f"unsupported message type {kind}")
    if pos != len(frame):
        raise ProtocolError("trailing bytes after the message (one message per frame)")
    return message


_SYNC_TYPES = tuple(SyncType)
_STEP1 = bytes((MessageType.SYNC, SyncType.STEP1))
_STEP2 = bytes((MessageType.SYNC, SyncType.STEP2))
_UPDATE = bytes((MessageType.SYNC, SyncType.UPDATE))
_AWARENESS = bytes((MessageType.AWARENESS,))


def sync_step1(state_vector: bytes) -> bytes:
    return _STEP1 + var_uint(len(state_vector)) + state_vector


def sync_step2(update: bytes) -> bytes:
    return _STEP2 + var_uint(len(update)) + update


def sync_update(update: bytes) -> bytes:
    return _UPDATE + var_uint(len(update)) + update


def awareness_frame(payload: bytes) -> bytes:
    return _AWARENESS + var_uint(len(payload)) + payload


#: Asks for every known awareness state.
QUERY_AWARENESS_FRAME = bytes((MessageType.QUERY_AWARENESS,))

#: An awareness update with no entries: a no-op for clients, but it resets their 30 s timeout.
KEEPALIVE = awareness_frame(var_uint(0))


def check_state_vector(payload: bytes) -> None:
    """A state vector is varUint(n) then n pairs (client, clock). Yrs reserves room for the n it
    is told before reading a single pair: a 10-byte step 1 claiming 2^29 entries cost 3 s of CPU
    and 1 GB. So the whole vector is read here first: exactly n pairs, nothing after them."""
    entries, pos = read_var_uint(payload, 0)
    if entries > MAX_STATE_VECTOR_ENTRIES or entries * 2 > len(payload) - pos:
        raise ProtocolError("the state vector claims more entries than it holds")
    for _ in range(entries * 2):
        _, pos = read_var_uint(payload, pos)
    if pos != len(payload):
        raise ProtocolError("trailing bytes after the state vector")


def check_update(payload: bytes) -> None:
    """A Yjs v1 update starts with varUint(number of clients), and Yrs reserves room for that
    many before reading them (2^28 claimed in a few bytes: 0.5 s and 540 MB). Each client's
    section takes at least MIN_CLIENT_SECTION bytes, so the claim is checked against the length
    (one varint read: this runs for every update)."""
    clients, pos = read_var_uint(payload, 0)
    if clients * MIN_CLIENT_SECTION > len(payload) - pos:
        raise ProtocolError("the update claims more clients than it holds")


def parse_awareness(payload: bytes) -> list[AwarenessEntry]:
    count, pos = read_var_uint(payload, 0)
    if count > MAX_AWARENESS_ENTRIES:
        raise ProtocolError("too many awareness entries in one message")
    entries = []
    for _ in range(count):
        client_id, pos = read_var_uint(payload, pos)
        clock, pos = read_var_uint(payload, pos)
        state, pos = read_var_bytes(payload, pos)
        entries.append(AwarenessEntry(client_id, clock, state))
    if pos != len(payload):
        raise ProtocolError("trailing bytes after the awareness entries")
    return entries


def encode_awareness(entries: list[AwarenessEntry]) -> bytes:
    """The awareness payload (not yet wrapped in a frame) for ``entries``."""
    parts = [var_uint(len(entries))]
    for entry in entries:
        parts += [var_uint(entry.client_id), var_uint(entry.clock), var_bytes(entry.state)]
    return b"".join(parts)
