// What this browser reports to the interviewers, as facts: how much was pasted into the editor
// and whether it was the last text copied or cut inside it; the window losing and regaining the
// focus; the tab hidden and shown. Signals sent while disconnected wait (a few) for the next
// connection.

import type { ChannelEvent, ControlChannel } from "./control";
import type { Command } from "./protocol";

const MAX_WAITING = 20;
const MAX_CHARS = 10_000_000;

type Signal = Extract<Command, { type: "signal" }>;

export function sendSignals(editorRoot: HTMLElement, channel: ControlChannel): () => void {
  let copied: string | null = null;
  let stopped = false;
  const waiting: Signal[] = [];
  const signal = (command: Signal): void => {
    if (stopped) return;
    if (!channel.send(command) && waiting.length < MAX_WAITING) waiting.push(command);
  };
  channel.on((event: ChannelEvent) => {
    if (event.type === "hello") for (const command of waiting.splice(0)) channel.send(command);
  });

  // after the editor's own handler, which put its selection in the clipboard (bubbling phase)
  const remember = (event: ClipboardEvent): void => {
    copied = event.clipboardData?.getData("text/plain") || window.getSelection()?.toString() || null;
  };
  editorRoot.addEventListener("copy", remember);
  editorRoot.addEventListener("cut", remember);
  // before the editor takes the paste (capturing phase)
  editorRoot.addEventListener(
    "paste",
    (event: ClipboardEvent) => {
      const text = event.clipboardData?.getData("text/plain") ?? "";
      if (!text) return;
      const same = copied !== null && text.replace(/\r\n/g, "\n") === copied.replace(/\r\n/g, "\n");
      signal({ type: "signal", kind: "paste", chars: Math.min([...text].length, MAX_CHARS), external: !same });
    },
    true,
  );

  let focus: "lost" | "regained" = document.hasFocus() ? "regained" : "lost";
  const focusNow = (state: "lost" | "regained"): void => {
    if (state === focus) return;
    focus = state;
    signal({ type: "signal", kind: "focus", state });
  };
  window.addEventListener("blur", () => focusNow("lost"));
  window.addEventListener("focus", () => focusNow("regained"));
  document.addEventListener("visibilitychange", () =>
    signal({ type: "signal", kind: "visibility", state: document.hidden ? "hidden" : "visible" }),
  );
  return () => {
    stopped = true;
    waiting.length = 0;
  };
}
