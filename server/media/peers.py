"""The server's two kinds of aiortc peer connection, each negotiated once and by one side:

- ``Publisher``: what one participant's browser publishes (its ``camera``: microphone and
  camera, or its ``screen``), offered by the browser; the server answers receive-only, VP8 and
  Opus only, and taps the encoded frames (``PublishedTrack``).
- ``Subscription``: one publisher's stream sent to one other participant, offered by the server
  with a ``ForwardTrack`` per published track.

Both end for good when closed; a browser that reconnects builds new ones."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCRtpSender, RTCRtpTransceiver
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

from server.media import aiortc_taps
from server.media.frames import Kind
from server.media.messages import IceServer, Stream
from server.media.published import MIME, PublishedTrack
from server.media.tracks import ForwardTrack


def peer_connection(ice_servers: Iterable[IceServer]) -> RTCPeerConnection:
    servers = [RTCIceServer(urls=s.urls, username=s.username, credential=s.credential) for s in ice_servers]
    return RTCPeerConnection(RTCConfiguration(iceServers=servers))


def prefer_forwarded_codec(transceiver: RTCRtpTransceiver) -> None:
    """Offer or accept only the codec the server forwards (VP8, Opus), with its retransmissions."""
    kind = transceiver.kind
    capabilities = RTCRtpSender.getCapabilities(kind).codecs
    chosen: list[RTCRtpCodecCapability] = [c for c in capabilities if c.mimeType.lower() == MIME[kind]]  # type: ignore[index]
    chosen += [c for c in capabilities if c.mimeType.lower() == f"{kind}/rtx"]
    transceiver.setCodecPreferences(chosen)


@dataclass(eq=False)
class Publisher:
    pc_id: str
    connection: int
    participant_id: str
    name: str
    role: str
    stream: Stream
    pc: RTCPeerConnection
    tracks: list[PublishedTrack] = field(default_factory=list)
    candidates: int = 0

    def cut(self) -> None:
        for track in self.tracks:
            track.cut()


@dataclass(eq=False)
class Subscription:
    pc_id: str
    connection: int
    publisher: Publisher
    pc: RTCPeerConnection
    tracks: list[ForwardTrack] = field(default_factory=list)
    candidates: int = 0
    answered: bool = False

    def add(self, published: PublishedTrack) -> None:
        track = published.forward_to()
        transceiver = self.pc.addTransceiver(track, direction="sendonly")
        prefer_forwarded_codec(transceiver)
        aiortc_taps.on_keyframe_request(transceiver.sender, published.request_keyframe)
        self.tracks.append(track)

    def cut(self) -> None:
        for track in self.tracks:
            track.stop()


def kinds_in(sdp_media: Iterable[str]) -> dict[Kind, int]:
    counts: dict[Kind, int] = {"audio": 0, "video": 0}
    for kind in sdp_media:
        if kind in counts:
            counts[kind] += 1
    return counts
