// The interviewers' pane: private notes, and the facts participants' browsers report (pastes,
// the window losing the focus, the tab hidden). The server sends none of it to anyone else; the
// pane exists only on interviewers' pages.

import type { ChannelEvent, ControlChannel } from "./control";
import { clock, composer, element } from "./dom";
import type { NotePosted, SignalRaised } from "./protocol";

const MAX_CHARS = 8000;

/** A signal as a sentence: what happened, never what it means. */
export function describe(signal: SignalRaised): string {
  const who = `${signal.from} (${signal.role})`;
  switch (signal.kind) {
    case "paste": {
      const chars = (signal.chars ?? 0).toLocaleString();
      return `${who} pasted ${chars} characters${signal.external ? " copied from outside the editor" : " copied in the editor"}`;
    }
    case "focus":
      return signal.state === "lost" ? `${who} left the pad's window` : `${who} came back to the pad's window`;
    default:
      return signal.state === "hidden"
        ? `${who} switched away from the pad's tab`
        : `${who} came back to the pad's tab`;
  }
}

export interface NotesPane {
  close(): void;
}

export function mountNotes(root: HTMLElement, channel: ControlChannel): NotesPane {
  const heading = element("h2", {}, "Notes");
  const hint = element("p", { class: "muted small" }, "Only interviewers see this pane.");
  const list = element("ol", {
    class: "messages notes",
    "data-testid": "notes",
    "aria-live": "polite",
    "aria-label": "Notes and signals",
  });
  const box = composer({
    formLabel: "Write a private note",
    inputLabel: "Private note",
    placeholder: "A note only interviewers see (Enter saves)",
    button: "Save note",
    maxChars: MAX_CHARS,
    offline: "Not connected: your note was not saved.",
    send: (text) => channel.send({ type: "note", text }),
  });
  root.append(heading, hint, list, box.form, box.problem);

  const seen = new Set<string>();
  const add = (event: NotePosted | SignalRaised): void => {
    const text = event.type === "note" ? event.text : describe(event);
    const key = `${event.ts}\u0000${event.type}\u0000${event.from}\u0000${text}`;
    if (seen.has(key)) return;
    seen.add(key);
    const item = element("li", { class: event.type, "data-kind": event.type === "note" ? "note" : event.kind });
    if (event.type === "note") item.append(element("span", { class: "who" }, event.from), " ");
    item.append(clock(event.ts), element("p", { class: "text" }, text));
    list.append(item);
    list.scrollTop = list.scrollHeight;
  };
  channel.on((event: ChannelEvent) => {
    if (event.type === "hello") {
      for (const past of event.history) if (past.type === "note" || past.type === "signal") add(past);
    } else if (event.type === "note" || event.type === "signal") {
      add(event);
    } else if (event.type === "error" && event.request === "note") {
      box.fail(event.message);
    }
  });
  return {
    close(): void {
      box.input.disabled = box.button.disabled = true;
      box.input.placeholder = "The session has ended.";
    },
  };
}
