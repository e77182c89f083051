// The playback page: a recorded session played, paused, stepped and sought on a timeline whose
// idle gaps are compressed, with every participant's cursor, the followed participant's file, the
// console, chat and notes at that moment, and a diff between two moments (docs/playback.md).

import { colorsFor } from "../pad/colors";
import { type Marker, PlaybackApi, type PlaybackEvent, type Timeline } from "./api";
import { CompressedClock, formatClock, wallClock } from "./clock";
import { showDiff } from "./diff";
import { ReplayEditor } from "./editor";
import { MediaPlayback } from "./media";
import { consoleText, Moment } from "./player";

const KEY_KINDS = new Set([
  "run",
  "paste",
  "focus",
  "visibility",
  "chat",
  "note",
  "session.ended",
  "file.created",
  "file.deleted",
  "file.renamed",
  "file.language",
]);
const SPEEDS = [1, 2, 4, 8, 16, 32];
const TICK_MS = 100;
const CHUNK_MS = 10_000;

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing`);
  return element as T;
}

function meta(name: string): string {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? "";
}

const api = new PlaybackApi(meta("duet-session"));
const fallbackLanguage = meta("duet-language");
const root = byId<HTMLElement>("playback-root");
const status = byId<HTMLElement>("playback-status");
const playButton = byId<HTMLButtonElement>("play");
const speedSelect = byId<HTMLSelectElement>("speed");
const keyOnly = byId<HTMLInputElement>("key-only");
const followSelect = byId<HTMLSelectElement>("follow");
const clockLabel = byId<HTMLElement>("clock");
const wallLabel = byId<HTMLElement>("wall-clock");
const bar = byId<HTMLElement>("timeline");
const needle = byId<HTMLElement>("needle");
const fileList = byId<HTMLUListElement>("file-list");
const activeLabel = byId<HTMLElement>("active-file");
const consolePre = byId<HTMLPreElement>("console");
const terminalPre = byId<HTMLPreElement>("terminal");
const editor = new ReplayEditor(byId("editor"));

let timeline: Timeline;
let clock: CompressedClock;
let moment: Moment | null = null;
let t = 0;
let playing = false;
let pinnedFile: string | null = null; // a file the viewer picked, over the followed participant's
let seekGeneration = 0;
let queue: PlaybackEvent[] = [];
let loadedTo = 0; // every event with ts <= loadedTo is applied or queued
let fetching = false;
let media: MediaPlayback | null = null;

function markers(): Marker[] {
  return timeline.markers.filter((m) => !keyOnly.checked || KEY_KINDS.has(m.kind));
}

function label(marker: Marker): string {
  const who = marker.name ?? timeline.participants.find((p) => p.id === marker.author)?.name ?? "";
  switch (marker.kind) {
    case "run":
      return `${marker.mode ?? "run"} by ${who}: ${marker.status}${marker.passed !== null ? ` (${marker.passed} passed, ${marker.failed} failed)` : ""}`;
    case "paste":
      return `${who} pasted ${marker.chars} characters${marker.external ? " from outside the editor" : ""}`;
    case "focus":
      return `${who}: window lost focus`;
    case "visibility":
      return `${who}: tab hidden`;
    case "chat":
    case "note":
      return `${who}: ${marker.text ?? ""}`;
    case "join":
      return `${who} joined`;
    case "leave":
      return `${who} left`;
    case "session.ended":
      return "session ended";
    case "file.created":
      return `${who} created ${marker.path}${marker.language ? ` (${marker.language})` : ""}`;
    case "file.deleted":
      return `${who} deleted ${marker.path}`;
    case "file.renamed":
      return `${who} renamed ${marker.path} to ${marker.renamed_to}`;
    case "file.language":
      return `${who} set ${marker.path} to ${marker.language ?? "no language"}`;
    default:
      return marker.kind;
  }
}

function renderTimeline(): void {
  const spans = byId<HTMLElement>("timeline-spans");
  spans.replaceChildren(
    ...timeline.active_spans.map(([from, to]) => {
      const span = document.createElement("div");
      span.className = "span";
      span.style.left = `${clock.fraction(from) * 100}%`;
      span.style.width = `${Math.max(0.2, (clock.fraction(to) - clock.fraction(from)) * 100)}%`;
      return span;
    }),
  );
  const shown = markers();
  byId<HTMLElement>("timeline-markers").replaceChildren(
    ...shown.map((marker) => {
      const dot = document.createElement("button");
      dot.type = "button";
      dot.className = `marker kind-${marker.kind.replace(".", "-")}`;
      dot.dataset.kind = marker.kind;
      dot.dataset.ts = String(marker.ts);
      dot.style.left = `${clock.fraction(marker.ts) * 100}%`;
      dot.title = `${formatClock(marker.ts - timeline.start_ms)} ${label(marker)}`;
      dot.setAttribute("aria-label", dot.title);
      dot.addEventListener("click", (event) => {
        event.stopPropagation();
        void seek(marker.ts);
      });
      return dot;
    }),
  );
  byId<HTMLOListElement>("marker-list").replaceChildren(
    ...shown.map((marker) => {
      const item = document.createElement("li");
      const link = document.createElement("button");
      link.type = "button";
      link.className = "link";
      link.dataset.kind = marker.kind;
      link.textContent = `${formatClock(marker.ts - timeline.start_ms)} ${label(marker)}`;
      link.addEventListener("click", () => void seek(marker.ts));
      item.append(link);
      return item;
    }),
  );
  for (const [id, kind] of [
    ["chat", "chat"],
    ["notes", "note"],
  ] as const) {
    byId<HTMLOListElement>(id).replaceChildren(
      ...timeline.markers
        .filter((m) => m.kind === kind)
        .map((m) => {
          const item = document.createElement("li");
          item.dataset.ts = String(m.ts);
          const when = document.createElement("span");
          when.className = "muted small";
          when.textContent = `${formatClock(m.ts - timeline.start_ms)} `;
          const who = document.createElement("strong");
          who.textContent = `${m.name ?? ""}: `;
          item.append(when, who, m.text ?? "");
          return item;
        }),
    );
  }
}

function currentFile(): string | null {
  if (moment === null) return null;
  const paths = [...moment.files().keys()].sort();
  const followed = followSelect.value ? moment.fileOf(followSelect.value) : null;
  const wanted = [pinnedFile, followed, moment.meta().get("active"), moment.meta().get("main")];
  return wanted.find((p): p is string => typeof p === "string" && paths.includes(p)) ?? paths[0] ?? null;
}

function render(): void {
  const f = clock.fraction(t);
  needle.style.left = `${f * 100}%`;
  bar.setAttribute("aria-valuenow", String(t - timeline.start_ms));
  bar.setAttribute("aria-valuetext", formatClock(t - timeline.start_ms));
  clockLabel.textContent = formatClock(t - timeline.start_ms);
  wallLabel.textContent = wallClock(t);
  root.dataset.t = String(t);
  media?.sync(t, playing, Number(speedSelect.value));
  for (const item of document.querySelectorAll<HTMLElement>("#chat li, #notes li")) {
    item.hidden = Number(item.dataset.ts) > t;
  }
  if (moment === null) return;
  const path = currentFile();
  const text = path === null ? undefined : moment.files().get(path);
  const language = path === null ? "plaintext" : (moment.meta().get(`lang:${path}`) ?? fallbackLanguage);
  editor.show(text, moment.awareness, language);
  activeLabel.textContent = path ?? "No file";
  fileList.replaceChildren(
    ...[...moment.files().keys()].sort().map((p) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = p === path ? "file active" : "file";
      button.textContent = p;
      button.addEventListener("click", () => {
        pinnedFile = pinnedFile === p ? null : p;
        render();
      });
      item.append(button);
      return item;
    }),
  );
  consolePre.textContent = consoleText(moment.console);
  consolePre.hidden = consolePre.textContent === "";
  terminalPre.hidden = moment.console.terminal === null;
  terminalPre.textContent = moment.console.terminal ?? "";
}

async function seek(to: number): Promise<void> {
  const target = Math.min(timeline.end_ms, Math.max(timeline.start_ms, Math.round(to)));
  const generation = ++seekGeneration;
  t = target;
  render();
  status.textContent = "Loading…";
  const state = await api.state(target);
  if (generation !== seekGeneration) return;
  moment?.destroy();
  moment = new Moment(state);
  queue = [];
  loadedTo = target;
  status.textContent = playing ? "Playing" : "Paused";
  const url = new URL(window.location.href);
  url.searchParams.set("t", String(target));
  history.replaceState(null, "", url);
  render();
  root.dataset.ready = "true";
}

async function load(upTo: number): Promise<void> {
  const generation = seekGeneration;
  const to = Math.min(timeline.end_ms, Math.max(upTo, loadedTo + CHUNK_MS * Number(speedSelect.value)));
  let after = 0;
  const from = loadedTo + 1;
  for (;;) {
    const page = await api.events(from, to, after);
    if (generation !== seekGeneration) return;
    queue.push(...page.events);
    if (page.next_after === null) break;
    after = page.next_after;
  }
  loadedTo = to;
}

async function tick(): Promise<void> {
  if (!playing || fetching || moment === null) return;
  let target = clock.skipIdle(t + TICK_MS * Number(speedSelect.value));
  if (target >= timeline.end_ms) target = timeline.end_ms;
  fetching = true;
  try {
    if (target > loadedTo) await load(target);
  } finally {
    fetching = false;
  }
  if (!playing || moment === null) return;
  while (queue.length && queue[0].ts <= target) {
    const event = queue.shift();
    if (event) moment.apply(event);
  }
  t = target;
  render();
  if (t >= timeline.end_ms) setPlaying(false);
}

function setPlaying(on: boolean): void {
  playing = on && t < timeline.end_ms;
  playButton.textContent = playing ? "Pause" : "Play";
  playButton.setAttribute("aria-pressed", String(playing));
  status.textContent = playing ? "Playing" : "Paused";
  media?.sync(t, playing, Number(speedSelect.value));
  if (!playing) {
    const url = new URL(window.location.href);
    url.searchParams.set("t", String(t));
    history.replaceState(null, "", url);
  }
}

function jumpMarker(direction: 1 | -1): void {
  const list = markers();
  const next = direction > 0 ? list.find((m) => m.ts > t) : [...list].reverse().find((m) => m.ts < t);
  if (next) void seek(next.ts);
}

function seekFromPointer(event: PointerEvent): void {
  const box = bar.getBoundingClientRect();
  void seek(clock.time((event.clientX - box.left) / box.width));
}

function wire(): void {
  playButton.addEventListener("click", () => setPlaying(!playing));
  byId("step-back").addEventListener("click", () => void seek(t - 1000));
  byId("step-forward").addEventListener("click", () => void seek(t + 1000));
  byId("prev-marker").addEventListener("click", () => jumpMarker(-1));
  byId("next-marker").addEventListener("click", () => jumpMarker(1));
  keyOnly.addEventListener("change", renderTimeline);
  followSelect.addEventListener("change", () => {
    pinnedFile = null;
    render();
  });
  let dragging = false;
  bar.addEventListener("pointerdown", (event) => {
    dragging = true;
    bar.setPointerCapture(event.pointerId);
    seekFromPointer(event);
  });
  bar.addEventListener("pointermove", (event) => {
    if (dragging) seekFromPointer(event);
  });
  bar.addEventListener("pointerup", () => {
    dragging = false;
  });
  document.addEventListener("keydown", (event) => {
    const target = event.target as HTMLElement | null;
    if (target && ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName)) return;
    if (target?.closest(".cm-editor")) return;
    const step = event.shiftKey ? 10_000 : 1_000;
    if (event.key === " ") setPlaying(!playing);
    else if (event.key === "ArrowLeft") void seek(t - step);
    else if (event.key === "ArrowRight") void seek(t + step);
    else if (event.key === "Home") void seek(timeline.start_ms);
    else if (event.key === "End") void seek(timeline.end_ms);
    else if (event.key === "n") jumpMarker(1);
    else if (event.key === "p") jumpMarker(-1);
    else if (/^[1-6]$/.test(event.key)) speedSelect.value = String(SPEEDS[Number(event.key) - 1]);
    else return;
    event.preventDefault();
  });
  const diffA = byId<HTMLInputElement>("diff-a");
  const diffB = byId<HTMLInputElement>("diff-b");
  byId("diff-set-a").addEventListener("click", () => {
    diffA.value = formatClock(t - timeline.start_ms);
  });
  byId("diff-set-b").addEventListener("click", () => {
    diffB.value = formatClock(t - timeline.start_ms);
  });
  byId<HTMLFormElement>("diff-form").addEventListener("submit", (event) => {
    event.preventDefault();
    void showDiff(
      api,
      timeline.start_ms,
      diffA.value,
      diffB.value,
      currentFile(),
      byId("diff-root"),
      byId("diff-error"),
    );
  });
  window.setInterval(() => void tick(), TICK_MS);
  window.setInterval(() => moment?.keepCursors(), 5_000);
}

async function start(): Promise<void> {
  timeline = await api.timeline();
  clock = new CompressedClock(timeline.start_ms, timeline.end_ms, timeline.active_spans);
  bar.setAttribute("aria-valuemax", String(timeline.end_ms - timeline.start_ms));
  followSelect.replaceChildren(
    new Option("nobody", ""),
    ...timeline.participants.map((p) => new Option(`${p.name} (${p.role})`, p.id)),
  );
  const candidate = timeline.participants.find((p) => p.role === "candidate") ?? timeline.participants[0];
  if (candidate) followSelect.value = candidate.id;
  byId<HTMLUListElement>("participant-list").replaceChildren(
    ...timeline.participants.map((p) => {
      const item = document.createElement("li");
      const dot = document.createElement("span");
      dot.className = "dot";
      dot.style.background = colorsFor(p.id).color;
      item.append(dot, ` ${p.name} `);
      const role = document.createElement("span");
      role.className = "muted small";
      role.textContent = p.role;
      item.append(role);
      return item;
    }),
  );
  const names = new Map(timeline.participants.map((p) => [p.id, p.name]));
  media = new MediaPlayback(byId("media-playback"), api, await api.media(), names);
  renderTimeline();
  wire();
  const linked = Number(new URLSearchParams(window.location.search).get("t"));
  await seek(Number.isFinite(linked) && linked > 0 ? linked : timeline.start_ms);
}

start().catch((error: unknown) => {
  status.textContent = `Could not load the recording: ${String(error)}`;
  status.dataset.state = "error";
});
