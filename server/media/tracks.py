"""``ForwardTrack``: another participant's stream as the server sends it to one subscriber,
encoded frames in, ``av.Packet`` out (aiortc's sender packs them without encoding).

Each subscriber has its own bounded queue, so a slow subscriber never holds up the publisher or
the others: when its queue is full its video waits for the next keyframe (and asks the publisher
for one), its audio drops the oldest frame. A new video subscriber also starts at a keyframe."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from server.media.frames import CLOCK_RATE, EncodedFrame, Kind

#: Frames a subscriber may have waiting: about a second of 30 fps video, or of 20 ms audio.
QUEUE_FRAMES = 32


class ForwardTrack(MediaStreamTrack):
    def __init__(self, kind: Kind, request_keyframe: Callable[[], None]) -> None:
        super().__init__()
        self.kind = kind
        self._request_keyframe = request_keyframe
        self._frames: deque[EncodedFrame] = deque()
        self._arrived = asyncio.Event()
        self._time_base = Fraction(1, CLOCK_RATE[kind])
        self._waiting_keyframe = kind == "video"
        self.forwarded = 0
        self.dropped = 0

    def push(self, frame: EncodedFrame) -> None:
        if self.readyState != "live":
            return
        if self._waiting_keyframe:
            if not frame.keyframe:
                self.dropped += 1
                self._request_keyframe()
                return
            self._waiting_keyframe = False
        if len(self._frames) >= QUEUE_FRAMES:
            if self.kind == "video":
                self.dropped += len(self._frames) + 1
                self._frames.clear()
                self._waiting_keyframe = True
                self._request_keyframe()
                return
            self._frames.popleft()
            self.dropped += 1
        self._frames.append(frame)
        self._arrived.set()

    async def recv(self) -> av.Packet[Any]:  # aiortc's senders pack packets, encode frames
        while not self._frames:
            if self.readyState != "live":
                raise MediaStreamError
            self._arrived.clear()
            await self._arrived.wait()
        frame = self._frames.popleft()
        packet = av.Packet(frame.data)
        packet.pts = frame.timestamp
        packet.time_base = self._time_base
        self.forwarded += 1
        return packet

    def stop(self) -> None:
        super().stop()
        self._frames.clear()
        self._arrived.set()
