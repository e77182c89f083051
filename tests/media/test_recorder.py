"""The recorder alone: a video file starts at a keyframe, times come from the RTP clock, a file
stops growing at its bound, and what it writes is valid WebM."""

from __future__ import annotations

import fractions
from pathlib import Path

import av

from server.media.frames import EncodedFrame, vp8_is_keyframe, vp8_size
from server.media.recorder import TrackRecorder


def vp8_frames(count: int) -> list[bytes]:
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = 160, 120, "yuv420p"
    codec.time_base = fractions.Fraction(1, 30)
    out: list[bytes] = []
    for n in range(count):
        frame = av.VideoFrame(160, 120, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes([(n * 9) % 256]) * plane.buffer_size)
        frame.pts = n
        out.extend(bytes(p) for p in codec.encode(frame))
    return out


def test_a_video_file_starts_at_a_keyframe_on_the_rtp_clock(tmp_path: Path) -> None:
    frames = vp8_frames(30)
    assert vp8_is_keyframe(frames[0]) and not vp8_is_keyframe(frames[1])
    assert vp8_size(frames[0]) == (160, 120) and vp8_size(frames[1]) is None
    recorder = TrackRecorder(tmp_path, participant_id="p1", stream="camera", kind="video", max_bytes=10**7)
    # the recording joins mid-stream: frames before the next keyframe are not written
    recorder.push(EncodedFrame("video", frames[1], 3000, 1_000, False))
    assert recorder.waiting_keyframe
    for n, data in enumerate(frames):
        recorder.push(EncodedFrame("video", data, 6000 + n * 3000, 2_000 + n * 33, vp8_is_keyframe(data)))
    segment = recorder.close()
    assert segment is not None
    assert (segment.start_ms, segment.frames, segment.codec) == (2_000, 30, "vp8")
    assert segment.end_ms == 2_000 + round(29 * 3000 / 90)  # the RTP clock, not arrival times
    with av.open(str(tmp_path / segment.file), "r") as container:
        assert container.streams.video[0].codec_context.name == "vp8"
        assert sum(1 for _ in container.decode(video=0)) == 30


def test_a_file_stops_growing_at_its_bound(tmp_path: Path) -> None:
    frames = vp8_frames(30)
    bound = sum(map(len, frames[:10]))
    recorder = TrackRecorder(tmp_path, participant_id="p1", stream="camera", kind="video", max_bytes=bound)
    for n, data in enumerate(frames):
        recorder.push(EncodedFrame("video", data, n * 3000, 1_000 + n * 33, vp8_is_keyframe(data)))
    segment = recorder.close()
    assert segment is not None and segment.truncated and segment.frames == 10
    assert (tmp_path / segment.file).stat().st_size < bound + 4096


def test_nothing_recorded_leaves_no_file(tmp_path: Path) -> None:
    recorder = TrackRecorder(tmp_path, participant_id="p1", stream="camera", kind="audio", max_bytes=10**6)
    assert recorder.close() is None
    assert not list(tmp_path.iterdir())
