// The playback JSON (server/playback/model.py), fetched with the login cookie.

export interface Participant {
  id: string;
  name: string;
  role: string;
  color: string;
  joined_ms: number;
}

export interface Marker {
  id: number;
  ts: number;
  kind: string;
  author: string | null;
  name: string | null;
  text: string | null;
  run_id: string | null;
  end_ts: number | null;
  status: string | null;
  mode: string | null;
  passed: number | null;
  failed: number | null;
  chars: number | null;
  external: boolean | null;
  state: string | null;
  path: string | null;
  renamed_to: string | null;
  language: string | null;
}

export interface Timeline {
  session: { id: string; title: string; language: string; state: string };
  start_ms: number;
  end_ms: number;
  participants: Participant[];
  markers: Marker[];
  active_spans: [number, number][];
  idle_gap_ms: number;
  updates: number;
  truncated: boolean;
}

export interface FileState {
  path: string;
  text: string;
  language: string | null;
}

export interface Cursor {
  participant: string | null;
  client: number;
  state: Record<string, unknown>;
}

export interface ConsoleRun {
  run_id: string;
  ts: number;
  by: string;
  mode: string;
  file: string;
  language: string;
  output: { ts: number; stream: string; data: string }[];
  finished: Record<string, unknown> | null;
  truncated: boolean;
}

export interface PlaybackState {
  t: number;
  files: FileState[];
  main: string | null;
  active: string | null;
  /** The document at t: a seek point, then the updates after it; applied in order. */
  updates: string[];
  cursors: Cursor[];
  console: { run: ConsoleRun | null; terminal: { open: boolean; text: string; truncated: boolean } | null };
}

export interface PlaybackEvent {
  id: number;
  ts: number;
  kind: string;
  author: string | null;
  // biome-ignore lint/suspicious/noExplicitAny: an event's JSON is whatever its kind recorded
  data: any;
}

/** One recorded audio or video file (a `media.segment` event, server/media/recorder.py). */
export interface MediaSegment {
  participant_id: string;
  stream: string;
  kind: "audio" | "video";
  file: string;
  start_ms: number;
  end_ms: number;
}

export interface EventPage {
  events: PlaybackEvent[];
  next_after: number | null;
}

async function get<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return (await response.json()) as T;
}

export class PlaybackApi {
  constructor(private readonly sessionId: string) {}

  private url(path: string): string {
    return `/s/${encodeURIComponent(this.sessionId)}/playback/${path}`;
  }

  timeline(): Promise<Timeline> {
    return get(this.url("timeline"));
  }

  state(t: number): Promise<PlaybackState> {
    return get(this.url(`state?t=${Math.max(0, Math.round(t))}`));
  }

  media(): Promise<MediaSegment[]> {
    return get(this.url("media"));
  }

  mediaUrl(file: string): string {
    return this.url(`media/${encodeURIComponent(file)}`);
  }

  events(from: number, to: number, after: number): Promise<EventPage> {
    return get(this.url(`events?from=${Math.max(0, Math.round(from))}&to=${Math.round(to)}&after=${after}&limit=1000`));
  }
}

export function decodeBase64(text: string): Uint8Array {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}
