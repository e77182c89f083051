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
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

AIORTC_VERSION = "1.16.0"
DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
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


def tap(receiver: RTCRtpReceiver, sink: FrameSink) -> None:
    """Hand ``receiver``'s encoded frames to ``sink`` (on the event loop) instead of decoding
    them. Call before the receiver starts (in the peer connection's ``track`` event)."""
    if not hasattr(receiver, DECODER_QUEUE):
        raise VersionMismatch(f"RTCRtpReceiver has no {DECODER_QUEUE}: aiortc changed")
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
