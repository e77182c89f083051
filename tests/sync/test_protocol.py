"""The wire codec on its own: round trips, and every malformed shape refused."""

from __future__ import annotations

import pytest

from server.sync import protocol
from server.sync.protocol import AwarenessEntry, ProtocolError, SyncMessage, SyncType


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 2**32, 2**53 - 1])
def test_var_uint_round_trip(value: int) -> None:
    encoded = protocol.var_uint(value)
    assert protocol.read_var_uint(encoded, 0) == (value, len(encoded))


def test_sync_frames_round_trip() -> None:
    for build, kind in (
        (protocol.sync_step1, SyncType.STEP1),
        (protocol.sync_step2, SyncType.STEP2),
        (protocol.sync_update, SyncType.UPDATE),
    ):
        assert protocol.parse_frame(build(b"\x01\x02")) == SyncMessage(kind, b"\x01\x02")


def test_awareness_keeps_utf8_byte_lengths() -> None:
    entries = [AwarenessEntry(7, 3, '{"user":{"name":"Zoë 🦊"}}'.encode()), AwarenessEntry(9, 1, b"null")]
    payload = protocol.encode_awareness(entries)
    assert protocol.parse_awareness(payload) == entries
    assert protocol.parse_awareness(payload)[1].removed


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\x00",  # sync without a sub type
        b"\x00\x07\x00",  # unknown sync type
        b"\x00\x02\x05ab",  # length runs past the end
        b"\x00\x02\x01ab",  # trailing bytes
        b"\x09",  # unknown message type
        b"\x02\x00",  # auth is server-to-client only
        b"\x00\x02" + b"\xff" * 9,  # varUint too long
    ],
)
def test_malformed_frames_are_protocol_errors(frame: bytes) -> None:
    with pytest.raises(ProtocolError):
        protocol.parse_frame(frame)


def test_malformed_awareness_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        protocol.parse_awareness(protocol.var_uint(2) + protocol.var_uint(1))
    with pytest.raises(ProtocolError):
        protocol.parse_awareness(protocol.var_uint(10_000))


def test_keepalive_is_an_empty_awareness_update() -> None:
    message = protocol.parse_frame(protocol.KEEPALIVE)
    assert isinstance(message, protocol.AwarenessMessage)
    assert protocol.parse_awareness(message.payload) == []
