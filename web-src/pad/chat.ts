// The chat pane: everyone's messages with their names and times, an unread count while the pane
// is collapsed or the window is not in front, and a box to write in (Enter sends, Shift+Enter
// starts a new line). The server echoes each message once it has recorded it: what shows here
// is what everyone sees, and what the recording keeps.

import type { PadConfig } from "./config";
import type { ChannelEvent, ControlChannel } from "./control";
import { clock, composer, element, watched } from "./dom";
import type { ChatPosted } from "./protocol";

const MAX_CHARS = 4000;

export interface ChatPane {
  /** No more messages (the session ended, or this participant's access did). */
  close(): void;
}

export function mountChat(root: HTMLElement, config: PadConfig, channel: ControlChannel): ChatPane {
  const heading = element("h2");
  const toggle = element("button", {
    type: "button",
    class: "pane-toggle",
    "aria-expanded": "true",
    "aria-controls": "chat-body",
    "data-testid": "chat-toggle",
  });
  const unread = element("span", { class: "unread", "data-testid": "chat-unread", hidden: "" });
  toggle.append("Chat ", unread);
  heading.append(toggle);
  const body = element("div", { id: "chat-body", class: "pane-body" });
  const messages = element("ol", {
    class: "messages",
    "data-testid": "chat-messages",
    "aria-live": "polite",
    "aria-label": "Chat messages",
  });
  const box = composer({
    formLabel: "Send a chat message",
    inputLabel: "Chat message",
    placeholder: "Message everyone (Enter sends)",
    button: "Send",
    maxChars: MAX_CHARS,
    offline: "Not connected: your message was not sent.",
    send: (text) => channel.send({ type: "chat", text }),
  });
  body.append(messages, box.form, box.problem);
  root.append(heading, body);

  let count = 0;
  const seen = new Set<string>(); // a message can be both in the history and live, once
  const showUnread = (): void => {
    unread.hidden = count === 0;
    unread.textContent = String(count);
    unread.setAttribute("aria-label", `${count} unread`);
  };
  const expanded = (): boolean => toggle.getAttribute("aria-expanded") === "true";
  const caughtUp = (): void => {
    if (expanded() && watched()) {
      count = 0;
      showUnread();
    }
  };
  const show = (event: ChatPosted, live: boolean): void => {
    const key = `${event.ts}\u0000${event.from}\u0000${event.text}`;
    if (seen.has(key)) return;
    seen.add(key);
    const item = element("li", { "data-role": event.role });
    const who = element("span", { class: "who" }, event.from);
    const text = element("p", { class: "text" }, event.text);
    item.append(who, " ", clock(event.ts), text);
    messages.append(item);
    messages.scrollTop = messages.scrollHeight;
    if (live && event.from !== config.name && !(expanded() && watched())) {
      count += 1;
      showUnread();
    }
  };
  channel.on((event: ChannelEvent) => {
    if (event.type === "hello") {
      for (const past of event.history) if (past.type === "chat") show(past, false);
    } else if (event.type === "chat") {
      show(event, true);
    } else if (event.type === "error" && event.request === "chat") {
      box.fail(event.message);
    }
  });
  toggle.addEventListener("click", () => {
    const open = !expanded();
    toggle.setAttribute("aria-expanded", String(open));
    body.hidden = !open;
    root.dataset.collapsed = String(!open);
    if (open) {
      caughtUp();
      box.input.focus();
    }
  });
  window.addEventListener("focus", caughtUp);
  document.addEventListener("visibilitychange", caughtUp);
  return {
    close(): void {
      box.input.disabled = box.button.disabled = true;
      box.input.placeholder = "The chat is closed.";
    },
  };
}
