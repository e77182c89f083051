// The clients of the chaos run (bench/chaos.py): rooms of typing Yjs clients and a participant
// pressing Run, all through the load balancer, reconnecting on their own as browsers do.
//
//   node chaos.mjs '<json config>'
//
// Config: { base: "ws://BALANCER", nodes: ["ws://NODE", ...], rate, runPause, runDeadline,
//           settleSeconds, rooms: [{ session, typists: [token, token], runner, checker }] }
//
// Typists are the stock y-websocket provider (yjs 13, y-websocket 3) over `ws`, each typing `rate`
// one-character inserts a second into main.py, offline too (the provider sends what it missed
// when it is back). A typist's edit is *acknowledged* when the server echoes it: Duet sends an
// accepted update back to its author, byte for byte, once it is committed to the database
// (docs/sync.md, "Durability"). Each typist's socket remembers the payloads of the updates and
// sync step 2 answers it sent; an update frame coming back on the same socket with the same
// payload acknowledges every item of this typist's that the payload holds (its Yjs clock range).
//
// The runner holds the session's control channel (reconnecting like the pad's ControlChannel)
// and presses Run on run.py, waits for run.finished, pauses, presses again. A run hangs when
// nothing ends it within `runDeadline` ms of the press.
//
// Stdin: "stop" -> typing and pressing stop, the typists wait (up to settleSeconds) until every
// edit is acknowledged, then every client leaves: prints {"event":"settled",...}.
// "verify" -> a fresh read-only client per room syncs from each node directly (after the
// orchestrator restarted them all, so from the database alone) and through the balancer, and
// each node runs run.py once: prints {"event":"result",...} and exits.

import { createInterface } from "node:readline";
import * as decoding from "lib0/decoding";
import WebSocket from "ws";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";

const config = JSON.parse(process.argv[2]);
const FILE = "main.py";
const RUN_FILE = "run.py";
const RUN_MARK = "chaos-run-ok";
const PROGRAM = `import time\nprint("${RUN_MARK}", flush=True)\ntime.sleep(0.5)\n`;
const MESSAGE_SYNC = 0;
const SYNC_STEP2 = 1;
const SYNC_UPDATE = 2;

const now = () => Date.now(); // wall-clock ms: the orchestrator's fault times are on the same clock
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const count = (tally, key) => {
  tally[key] = (tally[key] ?? 0) + 1;
};

/** Every time a client lost its connection and got it back: {kind, room, closedAt, openAt, backAt, code}. */
const reconnects = [];

/** One client's connection lost and found again: closed (as the client saw it), a socket open
 * again through the balancer, back (a typist synced, a control channel's hello). */
class Outage {
  constructor(kind, room) {
    this.kind = kind;
    this.room = room;
    this.connectedOnce = false;
    this.closedAt = null;
    this.openAt = null;
    this.code = null;
  }

  closed(code) {
    if (this.connectedOnce && this.closedAt === null) {
      this.closedAt = now();
      this.code = code;
    }
  }

  opened() {
    if (this.closedAt !== null) this.openAt = now();
  }

  back() {
    this.connectedOnce = true;
    if (this.closedAt === null) return;
    const { kind, room, closedAt, openAt, code } = this;
    reconnects.push({ kind, room: room.index, closedAt, openAt, backAt: now(), code });
    this.closedAt = null;
    this.openAt = null;
  }
}

/** A y-websocket sync message's kind and payload, or null for anything else. */
function syncMessage(data) {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data);
  try {
    const decoder = decoding.createDecoder(bytes);
    if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return null;
    const kind = decoding.readVarUint(decoder);
    if (kind !== SYNC_STEP2 && kind !== SYNC_UPDATE) return null;
    return { kind, payload: decoding.readVarUint8Array(decoder) };
  } catch {
    return null;
  }
}

const keyOf = (payload) => Buffer.from(payload).toString("base64");

class Typist {
  constructor(room, token, name) {
    this.room = room;
    this.name = name;
    this.doc = new Y.Doc();
    this.keystrokes = []; // the Yjs clock of each one-character insert
    this.acked = new Set(); // clocks of this client's items the server echoed
    this.outage = new Outage("sync", room);
    const typist = this;
    class TrackedSocket extends WebSocket {
      constructor(url, protocols) {
        super(url, protocols);
        this.awaiting = new Map(); // payload -> [from, to) clock range of this typist's items
        this.addEventListener("message", (event) => typist.received(this, event.data));
      }

      send(data, ...rest) {
        typist.sending(this, data);
        return super.send(data, ...rest);
      }
    }
    this.provider = new WebsocketProvider(`${config.base}/sync`, room.session, this.doc, {
      params: { token },
      WebSocketPolyfill: TrackedSocket,
      disableBc: true,
    });
    this.provider.on("connection-close", (event) => this.outage.closed(event ? event.code : null));
    this.provider.on("status", ({ status }) => status === "connected" && this.outage.opened());
    this.provider.on("sync", (synced) => synced && this.outage.back());
  }

  sending(socket, data) {
    const message = syncMessage(data);
    if (message === null) return;
    const meta = Y.parseUpdateMeta(message.payload);
    const from = meta.from.get(this.doc.clientID);
    if (from === undefined) return; // nothing of this typist's in it
    socket.awaiting.set(keyOf(message.payload), [from, meta.to.get(this.doc.clientID)]);
  }

  received(socket, data) {
    const message = syncMessage(data);
    if (message === null || message.kind !== SYNC_UPDATE) return;
    const key = keyOf(message.payload);
    const range = socket.awaiting.get(key);
    if (range === undefined) return;
    socket.awaiting.delete(key);
    for (let clock = range[0]; clock < range[1]; clock++) this.acked.add(clock);
  }

  get synced() {
    return this.provider.synced;
  }

  text() {
    return this.doc.getMap("files").get(FILE);
  }

  clock() {
    return Y.getState(this.doc.store, this.doc.clientID);
  }

  type(n) {
    const text = this.text();
    if (!text) return; // main.py comes with the first sync (the server seeds it)
    const index = Math.floor(Math.random() * (text.length + 1));
    const clock = this.clock();
    text.insert(index, String.fromCharCode(97 + (n % 26)));
    this.keystrokes.push(clock);
  }

  get unacked() {
    return this.keystrokes.filter((clock) => !this.acked.has(clock)).length;
  }

  /** Put run.py in the document (once per room) and wait until the server acknowledged it. */
  async createRunFile() {
    const files = this.doc.getMap("files");
    if (!files.has(RUN_FILE)) {
      this.doc.transact(() => {
        files.set(RUN_FILE, new Y.Text(PROGRAM));
        this.doc.getMap("meta").set(`lang:${RUN_FILE}`, "python");
      });
    }
    const last = this.clock() - 1;
    const until = now() + 30000;
    while (last >= 0 && !this.acked.has(last)) {
      if (now() > until) throw new Error(`${RUN_FILE} was never acknowledged`);
      await sleep(50);
    }
  }
}

/** A control-channel client that reconnects as the pad's ControlChannel does (its backoff). */
class ControlSocket {
  constructor(room, token) {
    this.room = room;
    this.url = `${config.base}/sessions/${room.session}/events?token=${encodeURIComponent(token)}`;
    this.outage = new Outage("control", room);
    this.retry = 0;
    this.stopped = false;
    this.ws = null;
    this.helloSeen = false;
  }

  connect() {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.helloSeen = false;
    ws.on("open", () => {
      this.retry = 0;
      this.outage.opened();
    });
    ws.on("message", (data) => {
      const event = JSON.parse(String(data));
      if (event.type === "hello") {
        this.helloSeen = true;
        this.outage.back();
      }
      this.event(event);
    });
    ws.on("error", () => {});
    ws.on("close", (code) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.outage.closed(code);
      if (this.stopped) return;
      const delay = Math.min(2 ** this.retry * 250, 5000) * (0.5 + Math.random());
      this.retry += 1;
      setTimeout(() => this.connect(), delay);
    });
  }

  get connected() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN && this.helloSeen;
  }
}

/** The participant pressing Run: presses, waits for the run's end, pauses, presses again. */
class Runner extends ControlSocket {
  constructor(room, token, name) {
    super(room, token);
    this.name = name;
    this.runs = new Map(); // run id -> { pressedAt, startedAt, output, done }
    this.pending = null; // a press the server has not answered yet: { at }
    this.open = null; // the run id being waited for
    this.nextPress = now() + config.runPause;
    this.stats = {
      presses: 0,
      started: 0,
      finished_ok: 0,
      finished_status: {},
      finished_error: {},
      refused: {},
      lost_with_connection: 0,
      hung: 0,
      wrong_output: 0,
      refused_while_idle: 0,
      longest_refused_ms: 0,
      started_by_others: 0,
    };
    this.refusedSince = null;
    this.hangs = [];
    this.connect();
    this.timer = setInterval(() => this.tick(), 200);
  }

  send(command) {
    this.ws.send(JSON.stringify(command));
  }

  tick() {
    const t = now();
    for (const [id, run] of this.runs) {
      if (!run.done && t - run.pressedAt > config.runDeadline) {
        run.done = true;
        this.stats.hung += 1;
        this.hangs.push({ run_id: id, pressedAt: run.pressedAt, startedAt: run.startedAt });
        if (this.open === id) this.open = null;
      }
    }
    if (this.pending !== null && t - this.pending.at > config.runDeadline) {
      this.stats.hung += 1; // the server never answered the press at all
      this.hangs.push({ run_id: null, pressedAt: this.pending.at });
      this.pending = null;
    }
    if (this.stopped || !this.connected || this.open !== null || this.pending !== null) return;
    if (t < this.nextPress) return;
    this.pending = { at: t };
    this.stats.presses += 1;
    this.send({ type: "run.start", mode: "run", file: RUN_FILE });
  }

  /** Whether an event at ``at`` (server ms) answers the press waiting for an answer. */
  answers(at) {
    return this.pending !== null && at >= this.pending.at - 5;
  }

  started(id, at) {
    if (this.runs.has(id)) return;
    const answer = this.answers(at);
    this.runs.set(id, { pressedAt: answer ? this.pending.at : at, startedAt: at, output: "", done: false });
    if (answer) this.pending = null;
    this.open = id;
    this.stats.started += 1;
    if (this.refusedSince !== null) {
      this.stats.longest_refused_ms = Math.max(this.stats.longest_refused_ms, now() - this.refusedSince);
      this.refusedSince = null;
    }
  }

  finished(event) {
    if (!this.runs.has(event.run_id) && event.result === null && this.answers(event.ts)) {
      // refused before it started (no file, no worker...): run.finished with its error is the answer
      this.runs.set(event.run_id, { pressedAt: this.pending.at, startedAt: null, output: "", done: false });
      this.pending = null;
      this.open = event.run_id;
    }
    const run = this.runs.get(event.run_id);
    if (run === undefined || run.done) return;
    run.done = true;
    if (event.error) count(this.stats.finished_error, event.error);
    else if (event.result.status === "ok" && run.output.includes(RUN_MARK)) this.stats.finished_ok += 1;
    else if (event.result.status === "ok") this.stats.wrong_output += 1;
    else count(this.stats.finished_status, event.result.status);
    if (this.open === event.run_id) this.open = null;
    this.nextPress = now() + config.runPause;
  }

  event(event) {
    switch (event.type) {
      case "hello": {
        for (const past of event.history) {
          if (past.type === "run.started" && past.by === this.name) this.started(past.run_id, past.ts);
          else if (past.type === "run.output" && this.runs.has(past.run_id)) {
            const run = this.runs.get(past.run_id);
            if (!run.done && !run.output.includes(RUN_MARK)) run.output += past.data;
          } else if (past.type === "run.finished") this.finished(past);
        }
        if (this.pending !== null) {
          // the press went with the connection: the server never started it (the history
          // would say so), nor refused it
          this.stats.lost_with_connection += 1;
          this.pending = null;
        }
        break;
      }
      case "run.started":
        if (event.by === this.name) this.started(event.run_id, event.ts);
        else this.stats.started_by_others += 1;
        break;
      case "run.output": {
        const run = this.runs.get(event.run_id);
        if (run !== undefined && !run.done) run.output += event.data;
        break;
      }
      case "run.finished":
        this.finished(event);
        break;
      case "error":
        if (event.request === "run.start" && this.pending !== null) {
          this.pending = null;
          count(this.stats.refused, event.message);
          if (event.message.includes("already going") && this.open === null) {
            this.stats.refused_while_idle += 1;
            if (this.refusedSince === null) this.refusedSince = now();
          }
          this.nextPress = now() + config.runPause;
        } else if (this.open !== null) {
          count(this.stats.finished_error, `error event: ${event.message}`);
        }
        break;
      default:
        break;
    }
  }

  close() {
    this.stopped = true;
    clearInterval(this.timer);
    if (this.refusedSince !== null) {
      this.stats.longest_refused_ms = Math.max(this.stats.longest_refused_ms, now() - this.refusedSince);
    }
    this.ws?.close();
  }
}

/** Another participant's control channel: every run it hears of must end for it too. */
class Watcher extends ControlSocket {
  constructor(room, token) {
    super(room, token);
    this.runs = new Map(); // run id -> { startedAt, done }
    this.stats = { seen: 0, ended: 0, ended_with_error: 0, hung: 0 };
    this.connect();
    this.timer = setInterval(() => this.tick(), 500);
  }

  seen(id, at) {
    if (this.runs.has(id)) return;
    this.runs.set(id, { startedAt: at, done: false });
    this.stats.seen += 1;
  }

  ended(event) {
    const run = this.runs.get(event.run_id);
    if (run === undefined || run.done) return;
    run.done = true;
    this.stats.ended += 1;
    if (event.error) this.stats.ended_with_error += 1;
  }

  event(event) {
    if (event.type === "hello") {
      for (const past of event.history) {
        if (past.type === "run.started") this.seen(past.run_id, past.ts);
        else if (past.type === "run.finished") this.ended(past);
      }
    } else if (event.type === "run.started") this.seen(event.run_id, event.ts);
    else if (event.type === "run.finished") this.ended(event);
  }

  get open() {
    return [...this.runs.values()].some((run) => !run.done);
  }

  tick() {
    for (const run of this.runs.values()) {
      if (!run.done && now() - run.startedAt > config.runDeadline) {
        run.done = true;
        this.stats.hung += 1;
      }
    }
  }

  close() {
    this.stopped = true;
    clearInterval(this.timer);
    this.tick();
    this.ws?.close();
  }
}

// ---- phases --------------------------------------------------------------------------------

const rooms = config.rooms.map((room, index) => ({ ...room, index }));
const typists = [];
const runners = [];
const watchers = [];
let typing = true;

async function start() {
  for (const room of rooms) {
    room.typistTokens = room.typists;
    room.typists = room.typists.map((token, i) => new Typist(room, token, `typist-${room.index}-${i}`));
    typists.push(...room.typists);
  }
  const until = now() + 60000;
  while (typists.some((t) => !t.synced || !t.text())) {
    if (now() > until) throw new Error("the typists never synced");
    await sleep(50);
  }
  await Promise.all(rooms.map((room) => room.typists[0].createRunFile()));
  for (const room of rooms) {
    room.runnerClient = new Runner(room, room.runner, `runner-${room.index}`);
    runners.push(room.runnerClient);
    watchers.push(new Watcher(room, room.typistTokens[1]));
  }
  const interval = 1000 / config.rate;
  for (const [n, typist] of typists.entries()) {
    (async () => {
      await sleep(Math.random() * interval);
      let next = performance.now();
      while (typing) {
        typist.type(n);
        next += interval;
        await sleep(Math.max(0, next - performance.now()));
      }
    })();
  }
  setInterval(() => emit({ event: "progress", ...tally() }), 10000).unref();
  emit({ event: "ready", at: now() });
}

function tally() {
  const runs = runners.map((r) => r.stats);
  return {
    keystrokes: typists.reduce((n, t) => n + t.keystrokes.length, 0),
    unacked: typists.reduce((n, t) => n + t.unacked, 0),
    presses: runs.reduce((n, s) => n + s.presses, 0),
    runs_ok: runs.reduce((n, s) => n + s.finished_ok, 0),
    hung: runs.reduce((n, s) => n + s.hung, 0),
    watched_hung: watchers.reduce((n, w) => n + w.stats.hung, 0),
    reconnects: reconnects.length,
  };
}

async function settle() {
  typing = false;
  for (const runner of runners) runner.stopped = true; // no more presses; open runs may finish
  const until = now() + config.settleSeconds * 1000;
  while (now() < until) {
    const quiet = typists.every((t) => t.synced && t.unacked === 0);
    const runsDone = runners.every((r) => r.open === null && r.pending === null) && watchers.every((w) => !w.open);
    if (quiet && runsDone) break;
    await sleep(100);
  }
  for (const runner of runners) {
    runner.tick(); // runs past their deadline count as hung now
    runner.close();
  }
  for (const watcher of watchers) watcher.close();
  for (const typist of typists) {
    typist.finalText = typist.text()?.toString() ?? "";
    typist.finalSynced = typist.synced;
    typist.provider.destroy();
  }
  emit({ event: "settled", ...tally() });
}

/** A fresh read-only client's view of one room from ``base``, once synced. */
async function freshDoc(base, room) {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`${base}/sync`, room.session, doc, {
    params: { token: room.checker },
    WebSocketPolyfill: WebSocket,
    disableBc: true,
  });
  try {
    const until = now() + 60000;
    while (!provider.synced) {
      if (now() > until) throw new Error(`room ${room.index} never synced from ${base}`);
      await sleep(20);
    }
    return doc;
  } finally {
    provider.destroy();
  }
}

function present(doc, client, clock) {
  if (Y.getState(doc.store, client) <= clock) return false;
  return !Y.getItem(doc.store, Y.createID(client, clock)).deleted;
}

/** One run pressed on ``base`` directly, to its end: what a node that recovered must still do. */
function runOnce(base, room) {
  const url = `${base}/sessions/${room.session}/events?token=${encodeURIComponent(room.runner)}`;
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    let runId = null;
    let output = "";
    const done = (outcome) => {
      clearTimeout(timer);
      ws.close();
      resolve(outcome);
    };
    const timer = setTimeout(() => done("hung"), config.runDeadline);
    ws.on("error", (error) => done(`socket error: ${error.message}`));
    ws.on("message", (data) => {
      const event = JSON.parse(String(data));
      if (event.type === "hello") ws.send(JSON.stringify({ type: "run.start", mode: "run", file: RUN_FILE }));
      else if (event.type === "run.started") runId = event.run_id;
      else if (event.type === "run.output" && event.run_id === runId) output += event.data;
      else if (event.type === "error") done(`refused: ${event.message}`);
      else if (event.type === "run.finished" && event.run_id === runId) {
        if (event.error) done(`error: ${event.error}`);
        else done(event.result.status === "ok" && output.includes(RUN_MARK) ? "ok" : event.result.status);
      }
    });
  });
}

async function verify() {
  const perRoom = [];
  let lost = 0;
  let acknowledged = 0;
  let absent = 0;
  let diverged = 0;
  for (const room of rooms) {
    const views = [];
    for (const base of [...config.nodes, config.base]) views.push({ base, doc: await freshDoc(base, room) });
    const texts = views.map((v) => v.doc.getMap("files").get(FILE)?.toString() ?? "");
    const roomStats = { room: room.index, lost: 0, acknowledged: 0, absent: 0, length: texts[0].length };
    for (const typist of room.typists) {
      for (const clock of typist.keystrokes) {
        const acked = typist.acked.has(clock);
        if (acked) roomStats.acknowledged += 1;
        if (views.some(({ doc }) => !present(doc, typist.doc.clientID, clock))) {
          if (acked) roomStats.lost += 1;
          else roomStats.absent += 1;
        }
      }
      if (typist.finalText !== texts[0]) roomStats.typist_diverged = (roomStats.typist_diverged ?? 0) + 1;
    }
    if (new Set(texts).size !== 1) roomStats.nodes_diverged = true;
    lost += roomStats.lost;
    absent += roomStats.absent;
    acknowledged += roomStats.acknowledged;
    diverged += (roomStats.nodes_diverged ? 1 : 0) + (roomStats.typist_diverged ?? 0);
    perRoom.push(roomStats);
  }
  const finalRuns = [];
  for (const base of config.nodes) finalRuns.push({ node: base, outcome: await runOnce(base, rooms[0]) });
  const runs = {};
  for (const runner of runners) {
    for (const [key, value] of Object.entries(runner.stats)) {
      if (typeof value === "number") {
        runs[key] = key === "longest_refused_ms" ? Math.max(runs[key] ?? 0, value) : (runs[key] ?? 0) + value;
      } else {
        runs[key] ??= {};
        for (const [k, v] of Object.entries(value)) runs[key][k] = (runs[key][k] ?? 0) + v;
      }
    }
  }
  return {
    event: "result",
    keystrokes: typists.reduce((n, t) => n + t.keystrokes.length, 0),
    acknowledged,
    lost,
    absent,
    diverged,
    unsynced_at_end: typists.filter((t) => !t.finalSynced).length,
    rooms: perRoom,
    runs,
    watched: watchers.reduce((sum, w) => {
      for (const [key, value] of Object.entries(w.stats)) sum[key] = (sum[key] ?? 0) + value;
      return sum;
    }, {}),
    hangs: runners.flatMap((r) => r.hangs),
    final_runs: finalRuns,
    reconnects,
  };
}

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const command = line.trim();
  const fail = (error) => {
    process.stderr.write(`${String(error?.stack ?? error)}\n`);
    process.exit(1);
  };
  if (command === "stop") settle().catch(fail);
  else if (command === "verify")
    verify().then((result) => {
      emit(result);
      process.exit(0);
    }, fail);
});
start().catch((error) => {
  process.stderr.write(`${String(error?.stack ?? error)}\n`);
  process.exit(1);
});
