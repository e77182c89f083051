// Audio and video in the pad: a preview of one's camera and microphone before joining, the
// choice of devices, mute, camera off, screen sharing, and a tile per other participant's
// stream with a speaking indicator. Signalling goes over the control channel (media.* commands
// and events); each stream has its own peer connection (negotiation.ts).
//
// Tiles survive reconnects: when the control channel drops, every peer connection is gone (the
// server ends them with the socket); once it is back the page joins and publishes again on new
// connections and the server offers the others' streams anew, into the same tiles. A connection
// that fails on its own (the network changed) is rebuilt the same way.

import type { PadConfig } from "./config";
import type { ChannelEvent, ControlChannel } from "./control";
import { DeviceProblem, listDevices, openDevices, watchSpeaking } from "./devices";
import { element } from "./dom";
import { Negotiated, type Published } from "./negotiation";
import type { IceServer, MediaOffered } from "./protocol";

interface Tile {
  root: HTMLElement;
  video: HTMLVideoElement;
  peer: Negotiated | null;
  energy: [number, number] | null; // totalAudioEnergy, totalSamplesDuration at the last look
}

interface InboundStats {
  type: string;
  kind?: string;
  framesDecoded?: number;
  totalSamplesReceived?: number;
  totalAudioEnergy?: number;
  totalSamplesDuration?: number;
}

/** The received audio level (0..1, root mean square) above which a tile shows its speaker. */
const SPEAKING_LEVEL = 0.01;

type State = "off" | "joining" | "joined";

function randomId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export interface MediaPane {
  /** Everything stops (the session ended, or this participant's access did). */
  close(reason: string): void;
}

export function mountMedia(root: HTMLElement, config: PadConfig, channel: ControlChannel): MediaPane {
  const mayPublish = config.role === "interviewer" || config.role === "candidate";
  const heading = element("h2", {}, "Audio and video");
  const status = element("p", { class: "muted small", role: "status", "data-testid": "media-status" });
  const problem = element("p", {
    class: "flash error small",
    role: "alert",
    hidden: "",
    "data-testid": "media-problem",
  });
  const preview = element("video", { class: "media-preview", "data-testid": "media-preview", hidden: "" });
  preview.muted = true;
  preview.autoplay = true;
  preview.playsInline = true;
  const cameraSelect = element("select", { "aria-label": "Camera", "data-testid": "camera-select", hidden: "" });
  const micSelect = element("select", { "aria-label": "Microphone", "data-testid": "mic-select", hidden: "" });
  const button = (label: string, testid: string): HTMLButtonElement =>
    element("button", { type: "button", class: "small", "data-testid": testid }, label);
  const previewButton = button("Preview camera and microphone", "media-preview-button");
  const joinButton = button(mayPublish ? "Join with audio and video" : "Watch and listen", "media-join");
  const muteButton = button("Mute", "media-mute");
  const cameraButton = button("Camera off", "media-camera");
  const screenButton = button("Share screen", "media-screen");
  const leaveButton = button("Leave audio and video", "media-leave");
  const controls = element("div", { class: "media-controls" });
  controls.append(muteButton, cameraButton, screenButton, leaveButton);
  const tiles = element("div", { class: "media-tiles", "data-testid": "media-tiles" });
  const setup = element("div", { class: "media-setup" });
  if (mayPublish) setup.append(previewButton, cameraSelect, micSelect);
  setup.append(joinButton);
  root.append(heading, status, problem, preview, setup, controls, tiles);

  let state: State = "off";
  let closed = false;
  let local: MediaStream | null = null;
  let screen: MediaStream | null = null;
  let stopLocalSpeaking = (): void => {};
  let iceServers: IceServer[] = [];
  const published = new Map<Published, Negotiated>();
  const byPc = new Map<string, string>(); // server's connection id -> tile key
  const tileOf = new Map<string, Tile>(); // "publisher/stream" -> tile
  let statsTimer: number | undefined;

  const say = (text: string): void => {
    status.textContent = text;
  };
  const fail = (text: string | null): void => {
    problem.hidden = text === null;
    problem.textContent = text ?? "";
  };
  const render = (): void => {
    setup.hidden = state !== "off" || closed;
    controls.hidden = state === "off" || closed;
    const audio = local?.getAudioTracks()[0];
    const video = local?.getVideoTracks()[0];
    muteButton.hidden = !mayPublish || audio === undefined;
    muteButton.textContent = audio?.enabled === false ? "Unmute" : "Mute";
    muteButton.setAttribute("aria-pressed", String(audio?.enabled === false));
    cameraButton.hidden = !mayPublish || video === undefined;
    cameraButton.textContent = video?.enabled === false ? "Camera on" : "Camera off";
    cameraButton.setAttribute("aria-pressed", String(video?.enabled === false));
    screenButton.hidden = !mayPublish || typeof navigator.mediaDevices?.getDisplayMedia !== "function";
    screenButton.textContent = screen === null ? "Share screen" : "Stop sharing";
    root.dataset.state = closed ? "closed" : state;
  };

  async function fillDevices(): Promise<void> {
    const { cameras, microphones } = await listDevices();
    for (const [select, devices, label] of [
      [cameraSelect, cameras, "Camera"],
      [micSelect, microphones, "Microphone"],
    ] as const) {
      const current = select.value;
      select.replaceChildren(...devices.map((d, i) => new Option(d.label || `${label} ${i + 1}`, d.deviceId)));
      if (current) select.value = current;
      select.hidden = devices.length < 2;
    }
  }

  async function startDevices(): Promise<boolean> {
    fail(null);
    try {
      const stream = await openDevices(cameraSelect.value, micSelect.value);
      for (const track of local?.getTracks() ?? []) track.stop();
      local = stream;
    } catch (error) {
      fail(error instanceof DeviceProblem ? error.message : "The camera and microphone could not be started.");
      return false;
    }
    preview.srcObject = local;
    preview.hidden = local.getVideoTracks().length === 0;
    stopLocalSpeaking();
    stopLocalSpeaking = watchSpeaking(local, (speaking) => {
      preview.dataset.speaking = String(speaking);
    });
    await fillDevices();
    // a device chosen while publishing replaces the track without a new negotiation
    const camera = published.get("camera");
    for (const sender of camera?.pc.getSenders() ?? []) {
      const replacement = local.getTracks().find((t) => t.kind === sender.track?.kind);
      if (replacement !== undefined) await sender.replaceTrack(replacement);
    }
    render();
    return true;
  }

  function publish(stream: Published, media: MediaStream): void {
    published.get(stream)?.close();
    const peer = new Negotiated(randomId("p"), iceServers, channel, stream);
    published.set(stream, peer);
    for (const track of media.getTracks()) {
      const transceiver = peer.pc.addTransceiver(track, { direction: "sendonly", streams: [media] });
      preferForwarded(transceiver, track.kind);
    }
    watchFailure(peer);
  }

  function watchFailure(peer: Negotiated): void {
    peer.pc.addEventListener("connectionstatechange", () => {
      if (peer.pc.connectionState === "failed" && state === "joined" && !closed) restart();
    });
  }

  /** Everything again on new connections: the server ends the old ones as they are replaced. */
  function restart(): void {
    channel.send({ type: "media.leave" });
    dropPeers();
    join();
  }

  function join(): void {
    if (closed) return;
    state = "joining";
    say("Connecting audio and video…");
    if (!channel.send({ type: "media.join" })) say("Waiting for the connection to the server…");
    render();
  }

  function ready(servers: IceServer[], canPublish: boolean): void {
    if (state === "off" || closed) return;
    iceServers = servers;
    state = "joined";
    say(local === null ? "Receiving audio and video." : "You are on camera.");
    if (canPublish && local !== null) publish("camera", local);
    if (canPublish && screen !== null) publish("screen", screen);
    render();
  }

  function offered(event: MediaOffered): void {
    if (state === "off" || closed) return;
    const key = `${event.publisher}/${event.stream}`;
    let tile = tileOf.get(key);
    if (tile === undefined) {
      const video = element("video", { "data-testid": "media-video" });
      video.autoplay = true;
      video.playsInline = true;
      const label = element(
        "span",
        { class: "media-name" },
        event.stream === "screen" ? `${event.name} (screen)` : event.name,
      );
      const box = element("figure", {
        class: "media-tile",
        "data-testid": "media-tile",
        "data-publisher": event.publisher,
        "data-stream": event.stream,
      });
      box.append(video, label);
      tiles.append(box);
      tile = { root: box, video, peer: null, energy: null };
      tileOf.set(key, tile);
    }
    tile.peer?.close();
    const peer = new Negotiated(event.pc, iceServers, channel, null);
    tile.peer = peer;
    tile.energy = null;
    tile.root.dataset.state = "connecting";
    byPc.set(event.pc, key);
    const current = tile;
    peer.pc.addEventListener("track", (track) => {
      const stream = track.streams[0] ?? new MediaStream([track.track]);
      if (current.video.srcObject !== stream) {
        current.video.srcObject = stream;
        void current.video.play().catch(() => {});
      }
      current.root.dataset.state = "live";
    });
    watchFailure(peer);
    void peer.described("offer", event.sdp).catch(() => fail("A participant's video could not be connected."));
    startStats();
  }

  function removeTile(key: string): void {
    const tile = tileOf.get(key);
    if (tile === undefined) return;
    tile.peer?.close();
    tile.root.remove();
    tileOf.delete(key);
  }

  /** Connections end, tiles stay (they wait for the streams to be offered again). */
  function dropPeers(): void {
    for (const peer of published.values()) peer.close();
    published.clear();
    for (const tile of tileOf.values()) {
      tile.peer?.close();
      tile.peer = null;
      tile.root.dataset.state = "reconnecting";
    }
    byPc.clear();
  }

  function leave(): void {
    channel.send({ type: "media.leave" });
    dropPeers();
    for (const key of [...tileOf.keys()]) removeTile(key);
    stopScreen(false);
    state = "off";
    say("");
    render();
  }

  function stopScreen(tell: boolean): void {
    if (screen === null) return;
    for (const track of screen.getTracks()) track.stop();
    screen = null;
    const peer = published.get("screen");
    if (peer !== undefined) {
      if (tell) channel.send({ type: "media.unpublish", pc: peer.id });
      peer.close();
      published.delete("screen");
    }
    render();
  }

  /** Four times a second, from each tile's connection statistics: what it decoded so far
   * (`data-frames`, `data-audio-samples`) and whether its participant is speaking: the audio
   * energy received since the last look (a short word between two looks still counts). */
  function startStats(): void {
    if (statsTimer !== undefined) return;
    statsTimer = window.setInterval(() => {
      for (const tile of tileOf.values()) {
        const peer = tile.peer;
        if (peer === null) continue;
        void peer.pc.getStats().then((report) => {
          report.forEach((stat: InboundStats) => {
            if (stat.type !== "inbound-rtp") return;
            if (stat.kind === "video") tile.root.dataset.frames = String(stat.framesDecoded ?? 0);
            if (stat.kind !== "audio") return;
            tile.root.dataset.audioSamples = String(stat.totalSamplesReceived ?? 0);
            const energy = stat.totalAudioEnergy ?? 0;
            const duration = stat.totalSamplesDuration ?? 0;
            const last = tile.energy;
            tile.energy = [energy, duration];
            if (last === null || duration <= last[1]) return;
            const level = Math.sqrt(Math.max(0, energy - last[0]) / (duration - last[1]));
            tile.root.dataset.speaking = String(level > SPEAKING_LEVEL);
          });
        });
      }
    }, 250);
  }

  previewButton.addEventListener("click", () => void startDevices());
  cameraSelect.addEventListener("change", () => void startDevices());
  micSelect.addEventListener("change", () => void startDevices());
  joinButton.addEventListener("click", () => {
    void (async () => {
      if (mayPublish && local === null) await startDevices(); // without devices: receive only
      join();
    })();
  });
  muteButton.addEventListener("click", () => {
    for (const track of local?.getAudioTracks() ?? []) track.enabled = !track.enabled;
    render();
  });
  cameraButton.addEventListener("click", () => {
    for (const track of local?.getVideoTracks() ?? []) track.enabled = !track.enabled;
    render();
  });
  screenButton.addEventListener("click", () => {
    if (screen !== null) {
      stopScreen(true);
      return;
    }
    void navigator.mediaDevices
      .getDisplayMedia({ video: true, audio: false })
      .then((stream) => {
        screen = stream;
        for (const track of stream.getTracks()) track.addEventListener("ended", () => stopScreen(true));
        if (state === "joined") publish("screen", stream);
        render();
      })
      .catch(() => fail("The screen was not shared."));
  });
  leaveButton.addEventListener("click", leave);

  let dropped = false;
  channel.on((event: ChannelEvent) => {
    if (closed) return;
    switch (event.type) {
      case "disconnected":
        if (state !== "off") {
          dropped = true;
          dropPeers();
          say("Reconnecting audio and video…");
        }
        break;
      case "hello":
        if (dropped && state !== "off") join();
        dropped = false;
        break;
      case "media.ready":
        ready(event.ice_servers, event.can_publish);
        break;
      case "media.answer":
        for (const peer of published.values()) {
          if (peer.id === event.pc) void peer.described("answer", event.sdp).catch(() => restart());
        }
        break;
      case "media.offer":
        offered(event);
        break;
      case "media.closed": {
        const key = byPc.get(event.pc);
        byPc.delete(event.pc);
        if (key !== undefined && tileOf.get(key)?.peer?.id === event.pc) removeTile(key);
        break;
      }
      case "error":
        if (event.request?.startsWith("media.")) fail(event.message);
        break;
      default:
        break;
    }
  });

  const pane: MediaPane = {
    close(reason: string): void {
      if (closed) return;
      dropPeers();
      for (const key of [...tileOf.keys()]) removeTile(key);
      for (const track of [...(local?.getTracks() ?? []), ...(screen?.getTracks() ?? [])]) track.stop();
      stopLocalSpeaking();
      local = null;
      screen = null;
      preview.hidden = true;
      window.clearInterval(statsTimer);
      closed = true;
      say(reason);
      render();
    },
  };
  if (config.ended || config.role === "reviewer") pane.close("Audio and video ended with the session.");
  render();
  return pane;
}

/** VP8 for video and Opus for audio: the codecs the server forwards. */
function preferForwarded(transceiver: RTCRtpTransceiver, kind: string): void {
  const capabilities = RTCRtpReceiver.getCapabilities(kind)?.codecs ?? [];
  const wanted = kind === "video" ? "video/vp8" : "audio/opus";
  const chosen = capabilities.filter((c) => c.mimeType.toLowerCase() === wanted);
  if (chosen.length === 0 || typeof transceiver.setCodecPreferences !== "function") return;
  try {
    transceiver.setCodecPreferences(chosen);
  } catch {
    // the server's answer picks VP8 and Opus all the same
  }
}
