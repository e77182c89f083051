"""``PublishedTrack``: one track a participant publishes (their microphone, camera or screen),
received by the server's aiortc peer and handed on, still encoded, to every subscriber's
``ForwardTrack`` and to its recorder.

Keyframe requests from subscribers (their PLI/FIR, or a new subscriber waiting for a picture)
reach the publisher as one PLI at most every ``KEYFRAME_INTERVAL`` seconds. What a publisher
sends beyond ``max_kbps`` is dropped, not forwarded nor recorded."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiortc import RTCRtpReceiver
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from server.channels.limits import TokenBucket
from server.media import aiortc_taps
from server.media.frames import EncodedFrame, Kind, vp8_is_keyframe
from server.media.recorder import TrackRecorder
from server.media.tracks import ForwardTrack
from server.recording.events import now_ms

logger = logging.getLogger(__name__)

KEYFRAME_INTERVAL = 0.3
#: The one codec each kind may carry (the server's answer offers no other).
MIME: dict[Kind, str] = {"audio": "audio/opus", "video": "video/vp8"}


class PublishedTrack:
    def __init__(
        self,
        kind: Kind,
        receiver: RTCRtpReceiver,
        *,
        recorder: TrackRecorder | None,
        max_kbps: int,
        spawn: Callable[[Callable[[], Awaitable[None]]], None],
    ) -> None:
        self.kind = kind
        self._receiver = receiver
        self._recorder = recorder
        self._spawn = spawn
        self._budget = TokenBucket(max_kbps * 1000 / 8, max_kbps * 1000 / 8 * 2)  # bytes, 2 s burst
        self._last_request = 0.0
        self.subscribers: set[ForwardTrack] = set()
        self.received = 0
        self.dropped = 0
        self.live = True
        aiortc_taps.tap(receiver, self._on_frame)

    def _on_frame(self, codec: RTCRtpCodecParameters, encoded: JitterFrame) -> None:
        if not self.live or codec.mimeType.lower() != MIME[self.kind]:
            return
        if not self._budget.take(len(encoded.data)):
            self.dropped += 1
            return
        self.received += 1
        keyframe = self.kind == "audio" or vp8_is_keyframe(encoded.data)
        frame = EncodedFrame(self.kind, encoded.data, encoded.timestamp, now_ms(), keyframe)
        for track in list(self.subscribers):
            track.push(frame)
        if self._recorder is not None:
            self._recorder.push(frame)
            if self._recorder.waiting_keyframe:
                self.request_keyframe()

    def request_keyframe(self) -> None:
        if self.kind != "video" or not self.live:
            return
        now = time.monotonic()
        if now - self._last_request < KEYFRAME_INTERVAL:
            return
        self._last_request = now
        receiver = self._receiver
        self._spawn(lambda: aiortc_taps.request_keyframe(receiver))

    def forward_to(self) -> ForwardTrack:
        """A new subscriber's track (it starts at the next keyframe, asked for now)."""
        track = ForwardTrack(self.kind, self.request_keyframe)
        self.subscribers.add(track)
        self.request_keyframe()
        return track

    def cut(self) -> None:
        """Nothing more flows from this track (its publisher left, or lost access)."""
        self.live = False
        for track in self.subscribers:
            track.stop()
        self.subscribers.clear()

    def finish(self) -> TrackRecorder | None:
        self.cut()
        recorder, self._recorder = self._recorder, None
        return recorder
