"""What server/media/aiortc_taps.py relies on inside aiortc, checked one by one so that an
upgrade that moves any of it fails here, by name, rather than as video that never arrives."""

from __future__ import annotations

import inspect
import tomllib
from pathlib import Path

import aiortc
import anyio
import pytest
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, rtcrtpreceiver, rtcrtpsender
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterBuffer
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtp import RtpPacket

from server.media import aiortc_taps
from server.media.frames import vp8_is_keyframe
from tests.support.media_peer import MovingPicture

ROOT = Path(__file__).resolve().parents[2]


def test_the_pinned_version_is_the_one_installed() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert f"aiortc=={aiortc_taps.AIORTC_VERSION}" in project["dependencies"]
    assert aiortc.__version__ == aiortc_taps.AIORTC_VERSION
    aiortc_taps.check_version()


def test_the_receiver_hands_whole_encoded_frames_to_its_decoder_queue() -> None:
    handle = inspect.getsource(RTCRtpReceiver._handle_rtp_packet)
    assert "self.__decoder_queue.put((codec, encoded_frame))" in handle, "the receiver's frames moved"
    receive = inspect.getsource(RTCRtpReceiver.receive)
    assert "self.__decoder_queue" in receive, "the decoder thread no longer reads the decoder queue"
    worker = inspect.getsource(rtcrtpreceiver.decoder_worker)
    assert "input_q.get()" in worker and "if task is None" in worker, "the decoder thread's stop changed"
    assert "self.__decoder_queue.put(None)" in inspect.getsource(RTCRtpReceiver), "the decoder's stop moved"
    assert callable(getattr(RTCRtpReceiver, aiortc_taps.PLI))
    assert "self.__jitter_buffer.add(packet)" in handle, "the receiver's jitter buffer moved"
    assert "packet._data = depayload(codec, packet.payload)" in handle


def test_the_jitter_buffer_keeps_the_fields_the_prompt_one_reads() -> None:
    buffer = JitterBuffer(capacity=128, is_video=True)
    for name in ("_origin", "_packets", "_capacity", "_is_video"):
        assert hasattr(buffer, name), f"JitterBuffer.{name} is gone"
    assert inspect.signature(JitterBuffer.remove).parameters.keys() == {"self", "count"}
    assert inspect.signature(JitterBuffer.add).parameters.keys() == {"self", "packet"}


def test_a_video_frame_goes_on_at_its_marked_last_packet() -> None:
    buffer = aiortc_taps.PromptJitterBuffer(128, is_video=True)
    frames = []
    for seq, (ts, marker, data) in enumerate(
        [(100, 0, b"a"), (100, 1, b"b"), (200, 0, b"c"), (200, 1, b"d")]
    ):
        packet = RtpPacket(sequence_number=seq, timestamp=ts, marker=marker)
        packet._data = data  # type: ignore[attr-defined]
        _, frame = buffer.add(packet)
        frames.append(None if frame is None else (frame.timestamp, frame.data))
    assert frames == [None, (100, b"ab"), None, (200, b"cd")]
    audio = aiortc_taps.PromptJitterBuffer(16, is_video=False)
    out = []
    for seq, ts in enumerate([960, 1920, 960, 2880]):  # the third came late: dropped
        packet = RtpPacket(sequence_number=seq, timestamp=ts)
        packet._data = b"o"  # type: ignore[attr-defined]
        out.append(audio.add(packet)[1] is not None)
    assert out == [True, True, False, True]


def test_the_sender_packs_packets_and_asks_the_track_for_keyframes_through_one_method() -> None:
    frame = inspect.getsource(RTCRtpSender._next_encoded_frame)
    assert "self.__encoder.pack(data)" in frame and "isinstance(data, Frame)" in frame
    rtcp = inspect.getsource(RTCRtpSender._handle_rtcp_packet)
    assert "self._send_keyframe()" in rtcp and "RTCP_PSFB_PLI" in rtcp and "RTCP_PSFB_FIR" in rtcp
    assert "def pack(self, packet: Packet)" in inspect.getsource(Vp8Encoder)
    assert "RTCEncodedFrame" in dir(rtcrtpsender)


@pytest.mark.anyio
async def test_a_tapped_receiver_yields_encoded_frames_and_decodes_nothing() -> None:
    sender_pc, receiver_pc = RTCPeerConnection(), RTCPeerConnection()
    sender_pc.addTransceiver(MovingPicture(), direction="sendonly")
    frames: list[bytes] = []
    got = anyio.Event()
    decoded: list[MediaStreamTrack] = []

    @receiver_pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        decoded.append(track)
        receiver = next(t.receiver for t in receiver_pc.getTransceivers() if t.receiver.track is track)

        def sink(codec: object, frame: object) -> None:
            frames.append(frame.data)  # type: ignore[attr-defined]
            if len(frames) >= 10:
                got.set()

        aiortc_taps.tap(receiver, sink)

    try:
        await sender_pc.setLocalDescription(await sender_pc.createOffer())
        await receiver_pc.setRemoteDescription(sender_pc.localDescription)
        await receiver_pc.setLocalDescription(await receiver_pc.createAnswer())
        await sender_pc.setRemoteDescription(receiver_pc.localDescription)
        with anyio.fail_after(20):
            await got.wait()
        assert vp8_is_keyframe(frames[0])  # a VP8 stream starts with a keyframe
        assert decoded and decoded[0].readyState == "live"
        assert decoded[0]._queue.empty()  # type: ignore[attr-defined]  # nothing was decoded
    finally:
        await sender_pc.close()
        await receiver_pc.close()
