"""One encoded frame as it is forwarded and recorded, and what Duet reads of a VP8 frame
(RFC 6386 section 9.1: whether it is a keyframe, and a keyframe's picture size)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["audio", "video"]
#: RTP clock rates: VP8 90 kHz, Opus 48 kHz.
CLOCK_RATE: dict[Kind, int] = {"audio": 48000, "video": 90000}


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    kind: Kind
    data: bytes
    timestamp: int  # in the RTP clock of ``kind``, from the stream's first frame
    arrival_ms: int  # session clock (server time, ms) when it was reassembled
    keyframe: bool  # always True for audio

    @property
    def seconds(self) -> float:
        return self.timestamp / CLOCK_RATE[self.kind]


def vp8_is_keyframe(data: bytes) -> bool:
    """The frame tag's first bit is 0 on a keyframe; a keyframe has the start code 9d 01 2a."""
    return len(data) >= 10 and data[0] & 0x01 == 0 and data[3:6] == b"\x9d\x01\x2a"


def vp8_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a VP8 keyframe, else None."""
    if not vp8_is_keyframe(data):
        return None
    width = int.from_bytes(data[6:8], "little") & 0x3FFF
    height = int.from_bytes(data[8:10], "little") & 0x3FFF
    return (width, height) if width and height else None
