// The session as it was at one moment, moving forward as events are applied: a Y.Doc, the
// participants' cursors (a y-protocols Awareness fed with the recorded states, which the
// editor's yCollab draws), the console.

import { Awareness } from "y-protocols/awareness";
import * as Y from "yjs";
import { type ConsoleRun, decodeBase64, type PlaybackEvent, type PlaybackState } from "./api";

export interface ConsoleView {
  run: ConsoleRun | null;
  terminal: string | null;
  terminalOpen: boolean;
}

/** A recorded update applied; one that does not decode is skipped, as the server's replay does. */
function applyRecorded(doc: Y.Doc, update: string): void {
  try {
    Y.applyUpdate(doc, decodeBase64(update));
  } catch {
    // skipped
  }
}

export class Moment {
  readonly doc = new Y.Doc();
  readonly awareness = new Awareness(this.doc);
  readonly owners = new Map<number, string | null>(); // awareness client -> participant
  console: ConsoleView;

  constructor(state: PlaybackState) {
    this.awareness.setLocalState(null); // the viewer has no cursor of their own
    Y.transact(this.doc, () => {
      for (const update of state.updates) applyRecorded(this.doc, update);
    });
    for (const cursor of state.cursors) this.setCursor(cursor.client, cursor.participant, cursor.state);
    this.console = {
      run: state.console.run,
      terminal: state.console.terminal?.text ?? null,
      terminalOpen: state.console.terminal?.open ?? false,
    };
  }

  files(): Y.Map<Y.Text> {
    return this.doc.getMap<Y.Text>("files");
  }

  meta(): Y.Map<string> {
    return this.doc.getMap<string>("meta");
  }

  /** The file ``participant`` looks at, as their last cursor state says. */
  fileOf(participant: string): string | null {
    for (const [client, owner] of this.owners) {
      if (owner !== participant) continue;
      const file = (this.awareness.getStates().get(client) as { file?: unknown } | undefined)?.file;
      if (typeof file === "string" && file) return file;
    }
    return null;
  }

  setCursor(client: number, participant: string | null, state: Record<string, unknown> | null): void {
    if (client === this.doc.clientID) return;
    const added = !this.awareness.states.has(client);
    if (state === null) {
      if (added) return;
      this.awareness.states.delete(client);
      this.awareness.meta.delete(client);
      this.owners.delete(client);
      this.awareness.emit("change", [{ added: [], updated: [], removed: [client] }, "playback"]);
      return;
    }
    this.awareness.states.set(client, state);
    this.awareness.meta.set(client, { clock: 0, lastUpdated: Date.now() });
    this.owners.set(client, participant);
    const change = added
      ? { added: [client], updated: [], removed: [] }
      : { added: [], updated: [client], removed: [] };
    this.awareness.emit("change", [change, "playback"]);
  }

  /** Recorded cursors do not time out while the viewer pauses (y-protocols forgets after 30 s). */
  keepCursors(): void {
    for (const meta of this.awareness.meta.values()) meta.lastUpdated = Date.now();
  }

  apply(event: PlaybackEvent): void {
    const data = event.data;
    switch (event.kind) {
      case "doc.update":
        applyRecorded(this.doc, data as string);
        break;
      case "awareness":
        if (data && typeof data.client === "number") this.setCursor(data.client, event.author, data.state ?? null);
        break;
      case "leave":
        for (const [client, owner] of [...this.owners]) if (owner === event.author) this.setCursor(client, owner, null);
        break;
      case "run.started":
        this.console.run = { ...data, ts: event.ts, output: [], finished: null, truncated: false };
        break;
      case "run.output": {
        const run = this.console.run;
        if (run !== null && run.run_id === data.run_id)
          run.output.push({ ts: event.ts, stream: data.stream, data: data.data });
        break;
      }
      case "run.finished": {
        const run = this.console.run;
        if (run !== null && run.run_id === data.run_id) run.finished = data;
        break;
      }
      case "terminal.opened":
        this.console.terminal = "";
        this.console.terminalOpen = true;
        break;
      case "terminal.output":
        this.console.terminal = ((this.console.terminal ?? "") + String(data.data ?? "")).slice(-65536);
        break;
      case "terminal.closed":
        this.console.terminalOpen = false;
        break;
    }
  }

  destroy(): void {
    this.awareness.destroy();
    this.doc.destroy();
  }
}

export function consoleText(view: ConsoleView): string {
  const run = view.run;
  if (run === null) return "";
  const lines = [`▶ ${run.mode} ${run.file} (${run.language}) by ${run.by}\n`, ...run.output.map((o) => o.data)];
  if (run.finished !== null) {
    const result = run.finished.result as { status?: string; exit_code?: number } | null;
    const error = run.finished.error as string | null;
    lines.push(error ? `\n■ ${error}` : `\n■ ${result?.status ?? "done"} (exit ${result?.exit_code ?? "?"})`);
  }
  return lines.join("");
}
