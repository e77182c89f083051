"""``TrackRecorder``: one participant's track muxed into a WebM file as it arrives, the encoded
VP8 or Opus frames as they were sent (PyAV's muxer; nothing is decoded), stamped on the session
clock: the file starts at its first frame's arrival (``start_ms``, server time) and each frame
sits at its RTP time from there. A video file starts at a keyframe.

A file stops growing at ``max_bytes`` (the rest of the track goes unrecorded, and the segment
says so). Closing it returns the ``Segment`` the recording log references."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
from av.audio.stream import AudioStream
from av.container import OutputContainer
from av.video.stream import VideoStream

from server.media.frames import CLOCK_RATE, EncodedFrame, Kind, vp8_size

logger = logging.getLogger(__name__)

MS = Fraction(1, 1000)
CODEC: dict[Kind, str] = {"audio": "opus", "video": "vp8"}
_MUXER_CODEC: dict[Kind, str] = {"audio": "libopus", "video": "libvpx"}


@dataclass(frozen=True, slots=True)
class Segment:
    """What the recording log says of one recorded file (event ``media.segment``)."""

    participant_id: str
    stream: str
    kind: Kind
    file: str  # relative to the session's media directory
    codec: str
    start_ms: int
    end_ms: int
    frames: int
    bytes: int
    truncated: bool


class TrackRecorder:
    def __init__(
        self, directory: Path, *, participant_id: str, stream: str, kind: Kind, max_bytes: int
    ) -> None:
        self._directory = directory
        self._participant_id = participant_id
        self._stream_name = stream
        self.kind = kind
        self._max_bytes = max_bytes
        self._container: OutputContainer | None = None
        self._stream: AudioStream | VideoStream | None = None
        self._file = ""
        self._first: EncodedFrame | None = None
        self._last_pts = -1
        self._frames = 0
        self._bytes = 0
        self._truncated = False
        self._failed = False

    @property
    def waiting_keyframe(self) -> bool:
        return self._container is None and not self._failed

    def push(self, frame: EncodedFrame) -> None:
        if self._failed or self._truncated:
            return
        if self._bytes + len(frame.data) > self._max_bytes:
            self._truncated = True
            return
        try:
            if self._container is None and not self._open(frame):
                return
            assert self._container is not None and self._first is not None and self._stream is not None
            pts = round((frame.timestamp - self._first.timestamp) * 1000 / CLOCK_RATE[self.kind])
            pts = max(pts, self._last_pts + 1)  # the muxer takes strictly increasing times
            packet = av.Packet(frame.data)
            packet.stream = self._stream
            packet.pts = packet.dts = pts
            packet.time_base = MS
            self._container.mux(packet)
        except (av.FFmpegError, OSError):
            logger.exception("recording %s failed", self._file)
            self._failed = True
            return
        self._last_pts = pts
        self._frames += 1
        self._bytes += len(frame.data)

    def _open(self, frame: EncodedFrame) -> bool:
        size = vp8_size(frame.data) if self.kind == "video" else None
        if self.kind == "video" and size is None:
            return False  # a video file starts at a keyframe
        self._directory.mkdir(parents=True, exist_ok=True)
        self._file = f"{self._participant_id}-{self._stream_name}-{self.kind}-{frame.arrival_ms}.webm"
        container = av.open(str(self._directory / self._file), "w", format="webm")
        stream: AudioStream | VideoStream
        if size is not None:
            video = cast(VideoStream, container.add_stream(_MUXER_CODEC["video"], rate=30))
            video.width, video.height = size
            video.pix_fmt = "yuv420p"
            stream = video
        else:
            audio = cast(AudioStream, container.add_stream(_MUXER_CODEC["audio"], rate=48000))
            audio.layout = "stereo"
            stream = audio
        stream.time_base = MS
        self._container, self._stream, self._first = container, stream, frame
        return True

    def close(self) -> Segment | None:
        """Finish the file; its segment, or None when nothing was recorded."""
        container, first = self._container, self._first
        self._container = None
        self._failed = True  # nothing more goes in
        if container is None or first is None:
            return None
        try:
            container.close()
        except (av.FFmpegError, OSError):
            logger.exception("finishing %s failed", self._file)
        return Segment(
            participant_id=self._participant_id,
            stream=self._stream_name,
            kind=self.kind,
            file=self._file,
            codec=CODEC[self.kind],
            start_ms=first.arrival_ms,
            end_ms=first.arrival_ms + max(self._last_pts, 0),
            frames=self._frames,
            bytes=self._bytes,
            truncated=self._truncated,
        )
