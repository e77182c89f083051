"""The media messages of the control channel, declared once: the commands a participant's
browser sends (offer, answer, ICE candidate, join, unpublish, leave) and the events the server
answers with. ``server.control`` adds them to its unions (and so to ``web-src/pad/protocol.ts``).

Every peer connection has one offerer, so offers never cross: a participant's *publishing*
connections are offered by the browser (``media.offer`` command, ``media.answer`` event), the
connections that bring them another participant's stream are offered by the server
(``media.offer`` event, ``media.answer`` command)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: A peer connection's id: chosen by the browser for what it publishes, by the server for what
#: it forwards to the browser.
PeerId = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
#: An SDP is a few kilobytes (Chromium's offer with audio and video: about 6 KiB).
MAX_SDP_CHARS = 32 * 1024
Stream = Literal["camera", "screen"]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MediaJoin(_Command):
    """Receive the session's audio and video (whoever publishes now or later)."""

    type: Literal["media.join"]


class MediaOffer(_Command):
    """Publish: the browser's offer for one of its streams (camera: microphone and camera;
    screen: a screen share). Observers are refused."""

    type: Literal["media.offer"]
    pc: str = PeerId
    stream: Stream = "camera"
    sdp: str = Field(max_length=MAX_SDP_CHARS)


class MediaAnswer(_Command):
    """The browser's answer to the server's offer of another participant's stream."""

    type: Literal["media.answer"]
    pc: str = PeerId
    sdp: str = Field(max_length=MAX_SDP_CHARS)


class MediaCandidate(_Command):
    """One ICE candidate the browser found (trickle ICE); an empty one ends them."""

    type: Literal["media.candidate"]
    pc: str = PeerId
    candidate: str = Field(max_length=512)
    sdp_mid: str | None = Field(default=None, max_length=32)
    sdp_mline_index: int | None = Field(default=None, ge=0, le=15)


class MediaUnpublish(_Command):
    """Stop publishing one stream (a screen share ended)."""

    type: Literal["media.unpublish"]
    pc: str = PeerId


class MediaLeave(_Command):
    """Stop publishing and receiving anything (the pad goes on without audio and video)."""

    type: Literal["media.leave"]


MediaCommand = MediaJoin | MediaOffer | MediaAnswer | MediaCandidate | MediaUnpublish | MediaLeave


class _Event(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, json_schema_serialization_defaults_required=True
    )

    ts: int = Field(default=0, description="server time (ms) the event was sent")


class IceServer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_serialization_defaults_required=True)

    urls: list[str]
    username: str | None = None
    credential: str | None = None


class MediaReady(_Event):
    """The answer to ``media.join``: the ICE servers to build peer connections with."""

    type: Literal["media.ready"] = "media.ready"
    ice_servers: list[IceServer]
    can_publish: bool


class MediaAnswered(_Event):
    """The server's answer to the browser's offer (``pc`` is the browser's id)."""

    type: Literal["media.answer"] = "media.answer"
    pc: str
    sdp: str


class MediaOffered(_Event):
    """Another participant's stream, offered by the server on a new peer connection."""

    type: Literal["media.offer"] = "media.offer"
    pc: str
    sdp: str
    publisher: str = Field(description="the publishing participant's id")
    name: str = Field(description="their display name")
    role: str
    stream: Stream


class MediaClosed(_Event):
    """A peer connection the server ended: its publisher stopped or left, or it failed."""

    type: Literal["media.closed"] = "media.closed"
    pc: str
    reason: str = ""


MediaEvent = MediaReady | MediaAnswered | MediaOffered | MediaClosed
