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
from aiortc.mediastreams import MediaStreamTrack

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
