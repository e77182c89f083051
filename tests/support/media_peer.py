"""An aiortc participant of the control channel's audio and video: an independent WebRTC peer
(not the browser) that publishes synthetic camera and microphone tracks and receives, decoding
them, the streams the server offers it."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import anyio
import av
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack, VideoStreamTrack

from tests.support.control_client import DEADLINE, ControlClient, control_client
from tests.support.live_app import LiveApp
from tests.support.provisioning import SessionFixture


def events_url(app: LiveApp, people: SessionFixture, name: str) -> str:
    """The control channel's URL for participant ``name`` of ``people``."""
    return f"{app.base}/sessions/{people.session_id}/events?token={people.tokens[name]}"


class MovingPicture(VideoStreamTrack):
    """A small picture that changes every frame (so that VP8 has something to code)."""

    def __init__(self, width: int = 320, height: int = 240) -> None:
        super().__init__()
        self._width, self._height = width, height
        self._n = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(self._width, self._height, "yuv420p")
        self._n += 1
        for i, plane in enumerate(frame.planes):
            plane.update(bytes([(self._n * (i + 3)) % 256]) * plane.buffer_size)
        frame.pts, frame.time_base = pts, time_base
        return frame


@dataclass
class Received:
    """What arrived of one offered stream."""

    publisher: str
    stream: str
    pc: RTCPeerConnection
    frames: dict[str, int] = field(default_factory=lambda: {"audio": 0, "video": 0})
    arrived: anyio.Event = field(default_factory=anyio.Event)


class MediaPeer:
    def __init__(self, control: ControlClient) -> None:
        self.control = control
        self.published: dict[str, RTCPeerConnection] = {}
        self.received: dict[str, Received] = {}
        self._handled = 0
        self.keyframe_requests = 0
        self.offered = anyio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    async def join(self) -> dict[str, Any]:
        seen = len(self.control.events)
        await self.control.send(type="media.join")
        return await self.control.expect("media.ready", lambda e: self.control.events.index(e) >= seen)

    async def publish(self, stream: str = "camera", *, audio: bool = True, video: bool = True) -> str:
        pc = RTCPeerConnection()
        pc_id = "p" + secrets.token_hex(6)
        if audio:
            pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
        if video:
            sender = pc.addTransceiver(MovingPicture(), direction="sendonly").sender
            encode_keyframe = sender._send_keyframe

            def asked() -> None:  # the server passed a receiver's keyframe request on
                self.keyframe_requests += 1
                encode_keyframe()

            sender._send_keyframe = asked  # type: ignore[method-assign]
        await pc.setLocalDescription(await pc.createOffer())
        self.published[pc_id] = pc
        await self.control.send(type="media.offer", pc=pc_id, stream=stream, sdp=pc.localDescription.sdp)
        return pc_id

    async def answered(self, pc_id: str) -> None:
        answer = await self.control.expect("media.answer", lambda e: e["pc"] == pc_id)
        await self.published[pc_id].setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))

    async def serve(self) -> None:
        """Answer every offer the server makes, for as long as the test runs."""
        while True:
            while self._handled < len(self.control.events):
                event = self.control.events[self._handled]
                self._handled += 1
                if event.get("type") == "media.offer":
                    await self._answer(event)
                elif event.get("type") == "media.closed" and event["pc"] in self.received:
                    await self.received[event["pc"]].pc.close()
            if self.control.closed is not None:
                return
            self.control.also_arrived = anyio.Event()
            await self.control.also_arrived.wait()

    async def _answer(self, offer: dict[str, Any]) -> None:
        pc = RTCPeerConnection()
        received = Received(offer["publisher"], offer["stream"], pc)
        self.received[offer["pc"]] = received
        self.offered.set()
        self.offered = anyio.Event()

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            task = asyncio.ensure_future(self._count(received, track))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        await self.control.send(type="media.answer", pc=offer["pc"], sdp=pc.localDescription.sdp)

    @staticmethod
    async def _count(received: Received, track: MediaStreamTrack) -> None:
        with suppress(MediaStreamError):
            while True:
                await track.recv()
                received.frames[track.kind] += 1
                received.arrived.set()
                received.arrived = anyio.Event()

    def from_(self, publisher: str) -> list[Received]:
        return [r for r in self.received.values() if r.publisher == publisher]

    async def frames_from(self, publisher: str, kind: str, at_least: int, *, stream: str = "camera") -> int:
        """Wait until ``at_least`` more decoded frames of ``kind`` arrived from ``publisher``."""
        with anyio.fail_after(DEADLINE):
            start: int | None = None
            while True:
                streams = [r for r in self.from_(publisher) if r.stream == stream]
                total = sum(r.frames[kind] for r in streams)
                if start is None:
                    start = total
                if total - start >= at_least:
                    return total
                waiting = streams[-1].arrived if streams else self.offered
                with anyio.move_on_after(0.5):  # or a newer stream's frames
                    await waiting.wait()

    async def close(self) -> None:
        for pc in [*self.published.values(), *(r.pc for r in self.received.values())]:
            await pc.close()
        for task in list(self._tasks):
            task.cancel()


@asynccontextmanager
async def media_peer(url: str) -> AsyncIterator[MediaPeer]:
    async with control_client(url) as control, anyio.create_task_group() as tg:
        peer = MediaPeer(control)
        tg.start_soon(peer.serve)
        try:
            yield peer
        finally:
            await peer.close()
            tg.cancel_scope.cancel()


async def publish(peer: MediaPeer) -> str:
    """Join, publish camera and microphone, and take the server's answer."""
    await peer.join()
    pc_id = await peer.publish()
    await peer.answered(pc_id)
    return pc_id
