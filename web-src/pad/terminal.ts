// The shared terminal: xterm.js bridged to a REPL on a pty inside the sandbox.

import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import type { ChannelEvent, ControlChannel } from "./control";
import type { TerminalOpen } from "./protocol";

export class SharedTerminal {
  private readonly term: Terminal;
  private readonly fit = new FitAddon();
  private opened = false;

  constructor(
    private readonly host: HTMLElement,
    private readonly channel: ControlChannel,
    private readonly canType: boolean,
  ) {
    this.term = new Terminal({ convertEol: false, cursorBlink: true, fontSize: 13, disableStdin: !canType });
    this.term.loadAddon(this.fit);
    this.term.open(host);
    this.term.onData((data) => {
      if (this.canType && this.opened) this.channel.send({ type: "terminal.input", data });
    });
    new ResizeObserver(() => this.resize()).observe(host);
  }

  open(language: TerminalOpen["language"]): void {
    this.resize(false);
    this.channel.send({ type: "terminal.open", language, rows: this.term.rows, cols: this.term.cols });
  }

  close(): void {
    this.channel.send({ type: "terminal.close" });
  }

  handle(event: ChannelEvent): void {
    if (event.type === "terminal.opened") {
      this.opened = true;
      this.term.reset();
      this.term.writeln(`\x1b[2m${event.by} opened a ${event.language} terminal\x1b[0m`);
      if (this.canType) this.term.focus();
    } else if (event.type === "terminal.output") {
      this.term.write(event.data);
    } else if (event.type === "terminal.closed") {
      this.opened = false;
      const why = event.reason ? `: ${event.reason}` : "";
      this.term.writeln(`\r\n\x1b[2m[terminal closed${why}]\x1b[0m`);
    }
  }

  get isOpen(): boolean {
    return this.opened;
  }

  private resize(announce = true): void {
    if (this.host.offsetParent === null) return; // hidden tab
    this.fit.fit();
    if (announce && this.opened && this.canType) {
      this.channel.send({ type: "terminal.resize", rows: this.term.rows, cols: this.term.cols });
    }
  }
}
