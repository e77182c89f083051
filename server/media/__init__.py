"""Audio and video in the pad: WebRTC signalling over the control channel, aiortc peers that
forward the ENCODED VP8 and Opus frames between participants of one session, and the
recording of those frames into WebM files on the session clock (docs/media.md)."""
