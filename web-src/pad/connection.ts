// The connection indicator: connected, reconnecting, offline, or refused for good.

import type { WebsocketProvider } from "y-websocket";

// Closes that reconnecting cannot cure: the provider stops, and the page says why (the server's
// reason when it gave one, e.g. "the session has ended" or "you signed out").
const REFUSED: Record<number, string> = {
  4401: "Your access to this session is no longer valid. Reopen your join link.",
  4403: "Your access to this session was revoked.",
  4404: "This session no longer exists.",
  4413: "This document has grown larger than the server accepts; your last change was not saved.",
};

export function watchConnection(provider: WebsocketProvider, indicator: HTMLElement): void {
  let everConnected = false;
  const show = (state: string, label: string, title = label): void => {
    indicator.dataset.state = state;
    indicator.textContent = label;
    indicator.title = title;
  };
  provider.on("status", ({ status }: { status: string }) => {
    if (status === "connected") {
      everConnected = true;
      show("connected", "Connected");
    } else if (status === "connecting") {
      show("reconnecting", everConnected ? "Reconnecting…" : "Connecting…");
    } else if (indicator.dataset.state !== "refused") {
      show("reconnecting", "Reconnecting…", "Offline: your edits are kept and sent when the connection returns.");
    }
  });
  provider.on("connection-close", (event: CloseEvent | null) => {
    const fallback = event ? REFUSED[event.code] : undefined;
    if (fallback !== undefined) {
      const reason = event?.reason ? `${fallback} (${event.reason})` : fallback;
      provider.shouldConnect = false;
      show("refused", "Disconnected", reason);
      indicator.textContent = reason;
    }
  });
  const offline = (): void => show("offline", "Offline", "Your browser is offline: edits are kept and sent later.");
  window.addEventListener("offline", offline);
}
