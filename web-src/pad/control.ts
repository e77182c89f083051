// The session's control channel (/sessions/{id}/events): JSON events in, commands out, reconnecting.
// The message types are generated from the server's models (protocol.ts).
//
// Each connection's listeners see its `hello` first (the server holds live events until it is
// sent), then each event once: an event may be both in the hello's history and sent live (it is
// recorded, then delivered; on another node, delivered later still). The history holds the
// recorded events exactly as they were sent, so a live one equal to one of them is the same event.

import type { Command, ControlEvent } from "./protocol";

/** What the channel itself tells its listeners, besides the server's events. */
export type ChannelNotice = { type: "disconnected" } | { type: "refused"; reason: string };
export type ChannelEvent = ControlEvent | ChannelNotice;
type Listener = (event: ChannelEvent) => void;

/** How long after a hello a live event may still be one its history held. */
const REPLAYED_MS = 10_000;

export class ControlChannel {
  private socket: WebSocket | null = null;
  private listeners: Listener[] = [];
  private retry = 0;
  private stopped = false;
  private replayed = new Set<string>(); // the hello's history, for a while after it
  private forget: number | undefined;

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

  private dispatch(event: ChannelEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private live(event: ControlEvent): void {
    const key = JSON.stringify(event);
    if (this.replayed.delete(key)) return; // already in the hello's history
    this.dispatch(event);
  }

  private connect(): void {
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.retry = 0;
    });
    socket.addEventListener("message", (message) => {
      const event = JSON.parse(String(message.data)) as ControlEvent; // the server's own models
      if (event.type === "ping") return;
      if (event.type === "hello") {
        this.replayed = new Set(event.history.map((past) => JSON.stringify(past)));
        window.clearTimeout(this.forget);
        this.forget = window.setTimeout(() => this.replayed.clear(), REPLAYED_MS);
        this.dispatch(event);
      } else {
        this.live(event);
      }
    });
    socket.addEventListener("close", (close) => {
      // 4401/4403: the token is no longer valid (expired, revoked, session ended); never retry
      if (close.code === 4401 || close.code === 4403) {
        this.stopped = true;
        this.dispatch({ type: "refused", reason: close.reason });
      }
      if (this.stopped) return;
      const delay = Math.min(2 ** this.retry * 250, 5000) * (0.5 + Math.random());
      this.retry += 1;
      window.setTimeout(() => this.connect(), delay);
      this.dispatch({ type: "disconnected" });
    });
  }
}
