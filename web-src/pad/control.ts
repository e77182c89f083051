// The session's control channel (/sessions/{id}/events): JSON events in, commands out, reconnecting.
// The message types are generated from the server's models (protocol.ts).

import type { Command, ControlEvent } from "./protocol";

/** What the channel itself tells its listeners, besides the server's events. */
export type ChannelNotice = { type: "disconnected" } | { type: "refused"; reason: string };
export type ChannelEvent = ControlEvent | ChannelNotice;
type Listener = (event: ChannelEvent) => void;

export class ControlChannel {
  private socket: WebSocket | null = null;
  private listeners: Listener[] = [];
  private retry = 0;
  private stopped = false;

  constructor(private readonly url: string) {}

  start(): void {
    this.connect();
  }

  on(listener: Listener): void {
    this.listeners.push(listener);
  }

  send(command: Command): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(command));
    return true;
  }

  private connect(): void {
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.retry = 0;
    });
    socket.addEventListener("message", (message) => {
      const event = JSON.parse(String(message.data)) as ControlEvent; // the server's own models
      if (event.type !== "ping") for (const listener of this.listeners) listener(event);
    });
    socket.addEventListener("close", (close) => {
      // 4401/4403: the token is no longer valid (expired, revoked, session ended); never retry
      if (close.code === 4401 || close.code === 4403) {
        this.stopped = true;
        for (const listener of this.listeners) listener({ type: "refused", reason: close.reason });
      }
      if (this.stopped) return;
      const delay = Math.min(2 ** this.retry * 250, 5000) * (0.5 + Math.random());
      this.retry += 1;
      window.setTimeout(() => this.connect(), delay);
      for (const listener of this.listeners) listener({ type: "disconnected" });
    });
  }
}
