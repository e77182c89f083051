"""The two places Duet reaches inside aiortc, kept in this one module.

aiortc decodes what it receives and encodes what it sends; a forwarding server needs neither.
- **Receiving**: ``RTCRtpReceiver`` reassembles each encoded frame (its jitter buffer) and puts
  ``(codec, JitterFrame)`` on a private queue that its decoder thread reads
  (``_RTCRtpReceiver__decoder_queue``, read by ``rtcrtpreceiver.decoder_worker``). ``tap``
  swaps that queue, before the receiver starts, for one that hands each frame to Duet instead:
  the decoder thread then waits, idle, for the stop that ends it.
- **Sending**: ``RTCRtpSender`` packs what its track yields without encoding it when it is not an
  ``av.Frame`` (an ``av.Packet``: ``Encoder.pack``). A keyframe request from the receiver (RTCP
  PLI or FIR) calls the sender's ``_send_keyframe``, which only flags its encoder; ``on_keyframe_request``
  replaces it on the instance so the request reaches the publisher instead.
- **Reassembly**: aiortc's jitter buffer hands a video frame on only when the next frame's first
  packet arrives (a frame interval late: 33 ms at 30 fps), and audio only once four frames wait
  (80 ms). A forwarding server would add that to every call, so ``tap`` also swaps the
  receiver's jitter buffer (``_RTCRtpReceiver__jitter_buffer``) for ``PromptJitterBuffer``: a
  video frame goes as soon as its last packet (RTP marker) completes it, an Opus packet at once.
- The PLI the server sends a publisher goes through the receiver's ``_send_rtcp_pli``.

These are private names: the aiortc version is pinned (``AIORTC_VERSION``, pyproject.toml) and
``tests/media/test_aiortc_reliance.py`` fails, saying which one moved, when an upgrade breaks
any of them.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

import aiortc
from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket
from aiortc.utils import uint16_add

AIORTC_VERSION = "1.16.0"
DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"
KEYFRAME_HOOK = "_send_keyframe"
PLI = "_send_rtcp_pli"

FrameSink = Callable[[RTCRtpCodecParameters, JitterFrame], None]


class VersionMismatch(RuntimeError):
    pass


def check_version() -> None:
    if aiortc.__version__ != AIORTC_VERSION:
        raise VersionMismatch(
            f"Duet's media forwarding relies on aiortc {AIORTC_VERSION} internals; found {aiortc.__version__}"
        )


class _TappedQueue:
    """Stands in for the receiver's decoder queue: encoded frames go to ``sink``; the stop
    (``None``) goes to the decoder thread, which ends on it."""

    def __init__(self, sink: FrameSink) -> None:
        self._sink = sink
        self._stop: queue.SimpleQueue[None] = queue.SimpleQueue()

    def put(self, item: tuple[RTCRtpCodecParameters, JitterFrame] | None) -> None:
        if item is None:
            self._stop.put(None)
        else:
            self._sink(*item)

    def get(self) -> None:  # the decoder thread's only read: it waits for the stop
        return self._stop.get()


class PromptJitterBuffer(JitterBuffer):
    """aiortc's jitter buffer, handing each frame on as soon as it is complete."""

    def __init__(self, capacity: int, is_video: bool) -> None:
        super().__init__(capacity=capacity, prefetch=0, is_video=is_video)
        self._last_audio: int | None = None

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        data: bytes = packet._data  # type: ignore[attr-defined]  # set by the receiver (depayloaded)
        if not self._is_video:  # one Opus packet is one frame; a late one is dropped, not reordered
            last = self._last_audio
            if last is not None and (packet.timestamp - last) % (1 << 32) >= 1 << 31:
                return False, None
            self._last_audio = packet.timestamp
            return False, JitterFrame(data, packet.timestamp)
        pli, frame = super().add(packet)
        if frame is None and packet.marker:
            frame = self._complete(packet)
        return pli, frame

    def _complete(self, last: RtpPacket) -> JitterFrame | None:
        """The frame ``last`` ends, if every packet from the origin up to it is here and of it."""
        if self._origin is None:
            return None
        count = uint16_add(last.sequence_number, -self._origin) + 1
        if count > self._capacity:
            return None
        packets = []
        for i in range(count):
            packet = self._packets[(self._origin + i) % self._capacity]
            if packet is None or packet.timestamp != last.timestamp:
                return None
            packets.append(packet)
        self.remove(count)
        return JitterFrame(b"".join(p._data for p in packets), last.timestamp)  # type: ignore[attr-defined]


def tap(receiver: RTCRtpReceiver, sink: FrameSink) -> None:
    """Hand ``receiver``'s encoded frames to ``sink`` (on the event loop), each as soon as it is
    complete, instead of decoding them. Call before the receiver starts (in the peer
    connection's ``track`` event)."""
    for name in (DECODER_QUEUE, JITTER_BUFFER):
        if not hasattr(receiver, name):
            raise VersionMismatch(f"RTCRtpReceiver has no {name}: aiortc changed")
    old: JitterBuffer = getattr(receiver, JITTER_BUFFER)
    setattr(receiver, JITTER_BUFFER, PromptJitterBuffer(old.capacity, old._is_video))
    setattr(receiver, DECODER_QUEUE, _TappedQueue(sink))


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Call ``callback`` when the remote end of ``sender`` asks for a keyframe (PLI or FIR)."""
    if not callable(getattr(sender, KEYFRAME_HOOK, None)):
        raise VersionMismatch(f"RTCRtpSender has no {KEYFRAME_HOOK}: aiortc changed")
    setattr(sender, KEYFRAME_HOOK, callback)


async def request_keyframe(receiver: RTCRtpReceiver) -> None:
    """Send the publisher of ``receiver``'s stream a picture loss indication (RTCP PLI)."""
    send: Any = getattr(receiver, PLI)
    for source in receiver.getSynchronizationSources():
        await send(source.source)
