// The same file at two moments, side by side (@codemirror/merge).

import { MergeView } from "@codemirror/merge";
import type { PlaybackApi } from "./api";
import { readOnlyExtensions } from "./editor";

let current: MergeView | null = null;

/** "mm:ss" or "h:mm:ss" from the session's start -> ms. */
export function parseOffset(text: string): number | null {
  const parts = text.trim().split(":").map(Number);
  if (!parts.length || parts.length > 3 || parts.some((n) => !Number.isInteger(n) || n < 0)) return null;
  return parts.reduce((total, n) => total * 60 + n, 0) * 1000;
}

async function fileAt(api: PlaybackApi, t: number, path: string): Promise<{ text: string; language: string }> {
  const file = (await api.state(t)).files.find((f) => f.path === path);
  return { text: file?.text ?? "", language: file?.language ?? "plaintext" };
}

export async function showDiff(
  api: PlaybackApi,
  start: number,
  a: string,
  b: string,
  path: string | null,
  parent: HTMLElement,
  error: HTMLElement,
): Promise<void> {
  const from = parseOffset(a);
  const to = parseOffset(b);
  error.hidden = true;
  if (from === null || to === null || path === null) {
    error.textContent = "Give both moments as mm:ss from the start, with a file open.";
    error.hidden = false;
    return;
  }
  const [left, right] = await Promise.all([fileAt(api, start + from, path), fileAt(api, start + to, path)]);
  current?.destroy();
  parent.replaceChildren();
  const heading = document.createElement("p");
  heading.className = "muted small";
  heading.textContent = `${path}: ${a} (left) against ${b} (right)`;
  parent.append(heading);
  current = new MergeView({
    a: { doc: left.text, extensions: readOnlyExtensions(left.language) },
    b: { doc: right.text, extensions: readOnlyExtensions(right.language) },
    parent,
    highlightChanges: true,
    gutter: true,
  });
}
