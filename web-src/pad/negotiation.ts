// One WebRTC peer connection with the server, negotiated with the perfect-negotiation pattern
// (https://w3c.github.io/webrtc-pc/#perfect-negotiation-example). The browser is the polite
// peer: an offer from the server that collides with one of its own wins (setRemoteDescription
// rolls the browser's back). Duet's server offers only the connections that bring another
// participant's stream and the browser only those it publishes, so offers do not cross today;
// the pattern keeps a connection sound if either side ever renegotiates.

import type { ControlChannel } from "./control";
import type { IceServer } from "./protocol";

export type Published = "camera" | "screen";

export function iceConfig(servers: IceServer[]): RTCConfiguration {
  return {
    iceServers: servers.map((server) => ({
      urls: server.urls,
      ...(server.username === null ? {} : { username: server.username }),
      ...(server.credential === null ? {} : { credential: server.credential }),
    })),
  };
}

export class Negotiated {
  readonly pc: RTCPeerConnection;
  private makingOffer = false;
  private closed = false;

  /** `publishes`: the stream this connection publishes (the browser offers it), or null for
   * one the server offers. */
  constructor(
    readonly id: string,
    servers: IceServer[],
    private readonly channel: ControlChannel,
    private readonly publishes: Published | null,
  ) {
    this.pc = new RTCPeerConnection(iceConfig(servers));
    this.pc.addEventListener("icecandidate", ({ candidate }) => {
      if (this.closed) return;
      channel.send({
        type: "media.candidate",
        pc: id,
        candidate: candidate?.candidate ?? "",
        sdp_mid: candidate?.sdpMid ?? null,
        sdp_mline_index: candidate?.sdpMLineIndex ?? null,
      });
    });
    if (publishes !== null) {
      this.pc.addEventListener("negotiationneeded", () => void this.offer());
    }
  }

  private async offer(): Promise<void> {
    if (this.publishes === null || this.closed) return;
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      const sdp = this.pc.localDescription?.sdp;
      if (sdp !== undefined && !this.closed) {
        this.channel.send({ type: "media.offer", pc: this.id, stream: this.publishes, sdp });
      }
    } finally {
      this.makingOffer = false;
    }
  }

  /** The server's offer or answer for this connection. */
  async described(type: "offer" | "answer", sdp: string): Promise<void> {
    if (this.closed) return;
    // polite: a colliding offer is taken (the browser's own is rolled back), never ignored
    const collision = type === "offer" && (this.makingOffer || this.pc.signalingState !== "stable");
    if (collision) await this.pc.setLocalDescription({ type: "rollback" });
    await this.pc.setRemoteDescription({ type, sdp });
    if (type === "offer") {
      await this.pc.setLocalDescription();
      const answer = this.pc.localDescription?.sdp;
      if (answer !== undefined) this.channel.send({ type: "media.answer", pc: this.id, sdp: answer });
    }
  }

  close(): void {
    this.closed = true;
    this.pc.close();
  }
}
