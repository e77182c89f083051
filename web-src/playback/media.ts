// The recorded audio and video, played in step with the code: one element per recorded file,
// placed on the session clock (a file starts at its segment's start_ms). Every render of the
// player lines each element up with the moment shown: inside its span it plays (at the
// player's speed) or shows the frame of that moment; outside it is paused and hidden. A seek of
// the player, or a skipped idle gap, moves the media with it.

import type { MediaSegment, PlaybackApi } from "./api";

/** Drift allowed while playing before an element is moved to the moment (seconds). */
const DRIFT_S = 0.4;
/** Browsers play media at 16x at most. */
const MAX_RATE = 16;

interface Placed {
  segment: MediaSegment;
  element: HTMLMediaElement;
  box: HTMLElement;
}

export class MediaPlayback {
  private readonly placed: Placed[] = [];

  constructor(root: HTMLElement, api: PlaybackApi, segments: MediaSegment[], names: Map<string, string>) {
    root.hidden = segments.length === 0;
    for (const segment of segments) {
      const video = segment.kind === "video";
      const element = document.createElement(video ? "video" : "audio");
      element.src = api.mediaUrl(segment.file);
      element.preload = "auto";
      element.dataset.file = segment.file;
      element.dataset.start = String(segment.start_ms);
      element.setAttribute("data-testid", `playback-${segment.kind}`);
      if (element instanceof HTMLVideoElement) element.playsInline = true;
      const box = document.createElement("figure");
      box.className = video ? "playback-tile" : "playback-audio";
      const who = names.get(segment.participant_id) ?? "";
      if (video) {
        const caption = document.createElement("figcaption");
        caption.textContent = segment.stream === "screen" ? `${who} (screen)` : who;
        box.append(element, caption);
      } else {
        box.append(element);
        box.hidden = true;
      }
      root.append(box);
      this.placed.push({ segment, element, box });
    }
  }

  /** Line every file up with moment `t` (server ms), playing or not, at `rate`. */
  sync(t: number, playing: boolean, rate: number): void {
    for (const { segment, element, box } of this.placed) {
      const inside = t >= segment.start_ms && t < segment.end_ms;
      if (segment.kind === "video") box.hidden = !inside;
      if (!inside) {
        if (!element.paused) element.pause();
        continue;
      }
      const at = (t - segment.start_ms) / 1000;
      const drift = Math.abs(element.currentTime - at);
      if (drift > (playing ? DRIFT_S * rate : 0.05)) element.currentTime = at;
      element.playbackRate = Math.min(rate, MAX_RATE);
      element.muted = rate > 2; // fast forward is silent
      if (playing && element.paused) void element.play().catch(() => {});
      if (!playing && !element.paused) element.pause();
    }
  }
}
