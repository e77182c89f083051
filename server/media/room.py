"""``MediaRoom``: the audio and video of one session on this node. Who joined (receives), who
publishes what, and which subscription carries which publisher's stream to whom.

Its signalling runs in order, one operation at a time, on the room's own task (a browser's ICE
candidates come after the offer they belong to). What ends access works at once and outside
that line: a connection that closes, or a session that ends, stops every track it sent or
received before anything is awaited (``cut``); closing the peer connections follows."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from aiortc.sdp import SessionDescription, candidate_from_sdp

from server import tokens
from server.media.messages import (
    IceServer,
    MediaAnswer,
    MediaAnswered,
    MediaCandidate,
    MediaClosed,
    MediaEvent,
    MediaOffer,
    MediaOffered,
    MediaReady,
)
from server.media.peers import Publisher, Subscription, kinds_in, peer_connection, prefer_forwarded_codec
from server.media.published import PublishedTrack
from server.media.recorder import Segment, TrackRecorder
from server.recording.events import EventKind, NewEvent, now_ms
from server.recording.writer import EventWriter

logger = logging.getLogger(__name__)

SEGMENT_EVENT = EventKind.MEDIA_SEGMENT.value
#: ICE candidates one peer connection takes from a browser.
MAX_CANDIDATES = 64
#: Tracks one published stream may carry, per kind.
MAX_TRACKS = {"audio": 1, "video": 1}

Op = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class MediaLimits:
    ice_servers: tuple[IceServer, ...]
    directory: Path  # this session's recordings; None-like when recording is off
    record: bool
    max_publishers: int
    max_kbps: int
    max_file_bytes: int


@dataclass(eq=False)
class MediaConnection:
    """One participant's control connection, as media sees it."""

    id: int
    session_id: str
    participant_id: str
    name: str
    role: str
    can_publish: bool
    send: Callable[[MediaEvent], None]
    refuse: Callable[[str, str], None]  # (message, the command's type)


class Refused(Exception):
    """A media command refused: its sender is told why; nothing changed."""


class MediaRoom:
    def __init__(
        self,
        session_id: str,
        limits: MediaLimits,
        writer: EventWriter,
        spawn: Callable[[Op], None],
        enqueue: Callable[[Op], None],
    ) -> None:
        self.session_id = session_id
        self._limits = limits
        self._writer = writer
        self._spawn = spawn  # side work (a keyframe request)
        self._enqueue = enqueue  # an operation, in order with the others
        self.members: dict[int, MediaConnection] = {}
        self.publishers: dict[tuple[int, str], Publisher] = {}
        self.subscriptions: dict[tuple[int, str], Subscription] = {}
        self.ended = False

    @property
    def empty(self) -> bool:
        return not self.members and not self.publishers and not self.subscriptions

    # ---- operations (run in order on the room's task) -----------------------------------------

    async def join(self, conn: MediaConnection) -> None:
        self.members[conn.id] = conn
        conn.send(MediaReady(ice_servers=list(self._limits.ice_servers), can_publish=conn.can_publish))
        for publisher in list(self.publishers.values()):
            await self._subscribe(conn, publisher)

    async def publish(self, conn: MediaConnection, offer: MediaOffer) -> None:
        try:
            parsed = SessionDescription.parse(offer.sdp)
        except (ValueError, IndexError, KeyError) as exc:
            raise Refused("this offer is not a valid SDP") from exc
        kinds = kinds_in(m.kind for m in parsed.media)
        if len(parsed.media) != sum(kinds.values()) or any(kinds[k] > MAX_TRACKS[k] for k in kinds):
            raise Refused("publish one microphone and one camera (or screen) per stream, nothing else")
        if not sum(kinds.values()):
            raise Refused("this offer publishes nothing")
        old = self.publishers.get((conn.id, offer.stream))
        if old is not None:  # published again (the browser rebuilt its connection)
            await self._close_publisher(old, "republished")
        if len(self.publishers) >= self._limits.max_publishers:
            raise Refused("this session has as many audio/video streams as it may carry")
        if conn.id not in self.members:
            await self.join(conn)
        pc = peer_connection(self._limits.ice_servers)
        publisher = Publisher(offer.pc, conn.id, conn.participant_id, conn.name, conn.role, offer.stream, pc)
        for kind, count in kinds.items():
            for _ in range(count):
                prefer_forwarded_codec(pc.addTransceiver(kind, direction="recvonly"))

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            for transceiver in pc.getTransceivers():
                if transceiver.receiver.track is track:
                    publisher.tracks.append(self._published(conn, offer, track.kind, transceiver.receiver))

        self._watch(pc, lambda: self._close_publisher(publisher, "the connection failed"))
        self.publishers[(conn.id, offer.stream)] = publisher
        try:
            await pc.setRemoteDescription(RTCSessionDescription(offer.sdp, "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:  # aiortc says why in many ways (ValueError, OperationError, ...)
            await self._close_publisher(publisher, "refused")
            raise Refused(f"this offer cannot be answered: {exc}") from exc
        if self.publishers.get((conn.id, offer.stream)) is not publisher:
            return  # closed meanwhile (its connection ended)
        conn.send(MediaAnswered(pc=offer.pc, sdp=pc.localDescription.sdp))
        for member in list(self.members.values()):
            await self._subscribe(member, publisher)

    def _published(
        self, conn: MediaConnection, offer: MediaOffer, kind: str, receiver: object
    ) -> PublishedTrack:
        recorder = None
        if self._limits.record:
            recorder = TrackRecorder(
                self._limits.directory,
                participant_id=conn.participant_id,
                stream=offer.stream,
                kind="audio" if kind == "audio" else "video",
                max_bytes=self._limits.max_file_bytes,
            )
        return PublishedTrack(
            "audio" if kind == "audio" else "video",
            receiver,  # type: ignore[arg-type]
            recorder=recorder,
            max_kbps=self._limits.max_kbps,
            spawn=self._spawn,
        )

    async def answer(self, conn: MediaConnection, answer: MediaAnswer) -> None:
        subscription = self.subscriptions.get((conn.id, answer.pc))
        if subscription is None:
            raise Refused("no such media connection")
        if subscription.answered:
            raise Refused("this media connection is already answered")
        subscription.answered = True
        try:
            await subscription.pc.setRemoteDescription(RTCSessionDescription(answer.sdp, "answer"))
        except Exception as exc:
            await self._close_subscription(subscription, "the answer was refused")
            raise Refused(f"this answer cannot be used: {exc}") from exc

    async def candidate(self, conn: MediaConnection, message: MediaCandidate) -> None:
        peer: Publisher | Subscription | None = self.subscriptions.get((conn.id, message.pc))
        if peer is None:
            peer = next(
                (p for p in self.publishers.values() if p.connection == conn.id and p.pc_id == message.pc),
                None,
            )
        if peer is None:
            raise Refused("no such media connection")
        line = message.candidate.removeprefix("candidate:")
        if not line:  # the end of the candidates
            await peer.pc.addIceCandidate(None)
            return
        peer.candidates += 1
        if peer.candidates > MAX_CANDIDATES:
            raise Refused("too many ICE candidates for one connection")
        try:
            candidate = candidate_from_sdp(line)
        except (AssertionError, ValueError, IndexError) as exc:
            raise Refused("this ICE candidate is not valid") from exc
        if candidate.ip.endswith(".local"):
            return  # an mDNS name: resolving it would take multicast, and the host's others do
        candidate.sdpMid = message.sdp_mid
        candidate.sdpMLineIndex = message.sdp_mline_index
        if candidate.sdpMid is None and candidate.sdpMLineIndex is None:
            raise Refused("an ICE candidate names its media section (sdp_mid or sdp_mline_index)")
        await peer.pc.addIceCandidate(candidate)

    async def unpublish(self, conn: MediaConnection, pc_id: str) -> None:
        for publisher in list(self.publishers.values()):
            if publisher.connection == conn.id and publisher.pc_id == pc_id:
                await self._close_publisher(publisher, "unpublished")
                return
        raise Refused("no such media connection")

    async def leave(self, conn_id: int) -> None:
        self.members.pop(conn_id, None)
        for publisher in [p for p in self.publishers.values() if p.connection == conn_id]:
            await self._close_publisher(publisher, "left")
        for subscription in [s for s in self.subscriptions.values() if s.connection == conn_id]:
            await self._close_subscription(subscription, "left", tell=False)

    async def close_all(self, reason: str) -> None:
        self.members.clear()
        for publisher in list(self.publishers.values()):
            await self._close_publisher(publisher, reason)

    # ---- what ends access: at once -------------------------------------------------------------

    def cut_connection(self, conn_id: int) -> None:
        """Nothing more flows to or from this connection, before anything is awaited."""
        self.members.pop(conn_id, None)
        for publisher in self.publishers.values():
            if publisher.connection == conn_id:
                publisher.cut()
        for subscription in self.subscriptions.values():
            if subscription.connection == conn_id:
                subscription.cut()

    def cut_all(self) -> None:
        self.ended = True
        self.members.clear()
        for publisher in self.publishers.values():
            publisher.cut()
        for subscription in self.subscriptions.values():
            subscription.cut()

    # ---- inside ---------------------------------------------------------------------------------

    async def _subscribe(self, conn: MediaConnection, publisher: Publisher) -> None:
        if conn.participant_id == publisher.participant_id or not publisher.tracks:
            return
        if any(s.publisher is publisher and s.connection == conn.id for s in self.subscriptions.values()):
            return
        if (publisher.connection, publisher.stream) not in self.publishers:
            return
        pc = peer_connection(self._limits.ice_servers)
        subscription = Subscription("s" + tokens.new_id()[:20], conn.id, publisher, pc)
        for track in publisher.tracks:
            subscription.add(track)
        self.subscriptions[(conn.id, subscription.pc_id)] = subscription
        self._watch(pc, lambda: self._close_subscription(subscription, "the connection failed"))
        await pc.setLocalDescription(await pc.createOffer())
        if self.subscriptions.get((conn.id, subscription.pc_id)) is not subscription:
            return
        conn.send(
            MediaOffered(
                pc=subscription.pc_id,
                sdp=pc.localDescription.sdp,
                publisher=publisher.participant_id,
                name=publisher.name,
                role=publisher.role,
                stream=publisher.stream,
            )
        )

    def _watch(self, pc: RTCPeerConnection, on_failure: Op) -> None:
        @pc.on("connectionstatechange")
        def changed() -> None:
            if pc.connectionState == "failed":
                self._enqueue(on_failure)

    async def _close_publisher(self, publisher: Publisher, reason: str) -> None:
        key = (publisher.connection, publisher.stream)
        if self.publishers.get(key) is not publisher:
            return
        del self.publishers[key]
        recorders = [track.finish() for track in publisher.tracks]
        for subscription in [s for s in self.subscriptions.values() if s.publisher is publisher]:
            await self._close_subscription(subscription, reason)
        await publisher.pc.close()
        for recorder in recorders:
            if recorder is not None:
                segment = recorder.close()
                if segment is not None:
                    await self._record(segment)

    async def _close_subscription(
        self, subscription: Subscription, reason: str, *, tell: bool = True
    ) -> None:
        key = (subscription.connection, subscription.pc_id)
        if self.subscriptions.get(key) is not subscription:
            return
        del self.subscriptions[key]
        subscription.cut()
        member = self.members.get(subscription.connection)
        if tell and member is not None:
            member.send(MediaClosed(pc=subscription.pc_id, reason=reason))
        await subscription.pc.close()

    async def _record(self, segment: Segment) -> None:
        data = json.dumps(asdict(segment)).encode()
        try:
            await self._writer.append(
                NewEvent(self.session_id, SEGMENT_EVENT, data, segment.participant_id, now_ms())
            )
        except Exception:
            logger.exception("a media segment could not be recorded", extra={"session_id": self.session_id})
