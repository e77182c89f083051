// Load generator for bench/sync_bench.py: real Yjs documents and real providers (y-websocket's
// WebsocketProvider for Duet and @y/websocket-server, HocuspocusProvider for Hocuspocus).
//
//   node load.mjs '<json config>'   -> prints one JSON result line on stdout
//
// Config: { server: "duet"|"yws"|"hocus", base: "ws://127.0.0.1:PORT", mode, rooms: [...], ... }
//   rooms: [{ name, tokens: [t1, t2, viewer] }]   (tokens only matter for Duet)
//   mode "interview": 2 typists + 1 viewer per room; each typist types `rate` keystrokes/s for
//     `seconds`, moving its cursor (awareness) with each keystroke. Latency = time from a
//     typist's insert to its arrival at each of the two other clients of the room, matched by the
//     inserted item's Yjs id (same process, same clock). Lost = receipts still missing after
//     `settleSeconds`. Keystrokes of the first `warmupSeconds` count for loss but not for latency:
//     200 typists starting at once stall the generator itself for a moment, on every server.
//   mode "idle": one client per room writes `seedBytes`, then every client stays connected and
//     idle until stdin says "leave"; they then disconnect and the process reports and exits.
//   mode "join": one client seeds a `seedBytes` document; then `joins` fresh clients connect one
//     after another and the time from connect to synced (with the full text) is measured.
//   mode "storm": every client of every room (`perRoom` per room, nobody connected before)
//     opens its socket in the same turn of the event loop; per client, the time from that turn's
//     start to its first sync (the provider's `synced`: the server's sync step 2 received, so it
//     has the room's document). Reports when the last one synced, the median, how many closes
//     the providers saw before that (they reconnect on their own), and any not synced within
//     `timeoutSeconds`.

import { performance } from "node:perf_hooks";
import readline from "node:readline";
import { HocuspocusProvider, HocuspocusProviderWebsocket } from "@hocuspocus/provider";
import WebSocket from "ws";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";

process.setMaxListeners(0); // every Hocuspocus provider adds an exit listener
const config = JSON.parse(process.argv[2]);
const FILE = "main.py";

function connect(room, token) {
  const doc = new Y.Doc();
  let provider;
  if (config.server === "hocus") {
    const socket = new HocuspocusProviderWebsocket({ url: config.base, WebSocketPolyfill: WebSocket });
    provider = new HocuspocusProvider({ websocketProvider: socket, name: room.name, document: doc });
    provider.attach?.();
    provider.destroyAll = () => {
      provider.destroy();
      socket.destroy();
    };
  } else {
    const url = config.server === "duet" ? `${config.base}/sync` : config.base;
    const params = config.server === "duet" ? { token } : {};
    provider = new WebsocketProvider(url, room.name, doc, { WebSocketPolyfill: WebSocket, params, disableBc: true });
    provider.destroyAll = () => provider.destroy();
  }
  const synced = new Promise((resolve) => {
    const check = () => {
      if (provider.synced || provider.isSynced) resolve();
    };
    provider.on("synced", check);
    provider.on("sync", check);
    check();
  });
  return { doc, provider, synced, text: () => doc.getMap("files").get(FILE) };
}

function ensureText(client) {
  const files = client.doc.getMap("files");
  let text = files.get(FILE);
  if (!text) {
    client.doc.transact(() => files.set(FILE, new Y.Text()));
    text = files.get(FILE);
  }
  return text;
}

const awarenessOf = (client) => client.provider.awareness;
// nearest rank over sorted samples; a p99 needs at least 100 of them (below that it would be the max)
const pct = (xs, q) => (xs.length ? xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))] : null);
const P99_MIN_SAMPLES = 100;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function openRooms(tokensPerRoom) {
  const clients = [];
  for (const room of config.rooms) {
    const members = [];
    for (let i = 0; i < tokensPerRoom; i++) members.push(connect(room, room.tokens[i]));
    clients.push(members);
    if (clients.length % 20 === 0) await sleep(20); // do not open hundreds of sockets in one burst
  }
  await Promise.all(clients.flat().map((c) => c.synced));
  return clients;
}

async function interview() {
  const rooms = await openRooms(3);
  // one client per room creates the file; everyone waits until they all see it
  for (const [first] of rooms) ensureText(first);
  const deadline = performance.now() + 20000;
  while (rooms.flat().some((c) => !c.text())) {
    if (performance.now() > deadline) throw new Error("the file never reached every client");
    await sleep(20);
  }
  const sent = new Map(); // "client:clock" -> send time (negative: a warm-up keystroke)
  const latencies = [];
  let expected = 0;
  let received = 0;
  for (const members of rooms) {
    for (const receiver of members) {
      receiver.text().observe((event) => {
        const tr = event.transaction;
        if (tr.local) return;
        const now = performance.now();
        // every new struct of the transaction, by (client, clock): one per keystroke
        for (const [client, after] of tr.afterState) {
          for (let clock = tr.beforeState.get(client) ?? 0; clock < after; clock++) {
            const at = sent.get(`${client}:${clock}`);
            if (at === undefined) continue;
            received++;
            if (at >= 0) latencies.push(now - at);
          }
        }
      });
    }
  }
  const interval = 1000 / config.rate;
  const typists = rooms.flatMap((members) => members.slice(0, 2));
  const stopAt = performance.now() + config.seconds * 1000;
  const measureFrom = performance.now() + (config.warmupSeconds ?? 0) * 1000;
  await Promise.all(
    typists.map(async (typist, n) => {
      await sleep(Math.random() * interval);
      const text = typist.text();
      let next = performance.now();
      while (performance.now() < stopAt) {
        const index = Math.floor(Math.random() * (text.length + 1));
        const clock = Y.getState(typist.doc.store, typist.doc.clientID);
        const now = performance.now();
        sent.set(`${typist.doc.clientID}:${clock}`, now >= measureFrom ? now : -1);
        expected += 2;
        text.insert(index, String.fromCharCode(97 + (n % 26)));
        awarenessOf(typist).setLocalStateField("cursor", { anchor: index + 1, head: index + 1 });
        next += interval;
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
        else await sleep(0);
      }
    }),
  );
  const settleUntil = performance.now() + config.settleSeconds * 1000;
  while (received < expected && performance.now() < settleUntil) await sleep(50);
  for (const c of rooms.flat()) c.provider.destroyAll();
  latencies.sort((a, b) => a - b);
  return {
    keystrokes: expected / 2,
    expected,
    received,
    lost: expected - received,
    rate: expected / 2 / config.seconds,
    samples: latencies.length,
    p50: pct(latencies, 0.5),
    p99: latencies.length >= P99_MIN_SAMPLES ? pct(latencies, 0.99) : null,
    max: latencies[latencies.length - 1] ?? null,
  };
}

async function seed(client, bytes) {
  const text = ensureText(client);
  const line = `${"x".repeat(1023)}\n`;
  // one transaction, one update: a pasted file (1024 separate updates would be rate-limited)
  client.doc.transact(() => text.insert(text.length, line.repeat(Math.ceil(bytes / line.length))));
}

async function idle() {
  const rooms = await openRooms(1);
  for (const [client] of rooms) await seed(client, config.seedBytes);
  await sleep(1000); // let the last updates reach the server
  process.stdout.write(`${JSON.stringify({ ready: true, clients: rooms.length })}\n`);
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) if (line.trim() === "leave") break;
  for (const [client] of rooms) client.provider.destroyAll();
  await sleep(500);
  return { left: rooms.length };
}

async function join() {
  const room = config.rooms[0];
  const seeder = connect(room, room.tokens[0]);
  await seeder.synced;
  await seed(seeder, config.seedBytes);
  const want = seeder.text().length;
  // the seeder reads its own document back from a second client: the server has it all
  const check = connect(room, room.tokens[1]);
  await check.synced;
  const until = performance.now() + 60000;
  while ((check.text()?.length ?? 0) < want) {
    if (performance.now() > until) throw new Error("the seeded document never arrived");
    await sleep(20);
  }
  check.provider.destroyAll();
  const times = [];
  for (let i = 0; i < config.joins; i++) {
    const start = performance.now();
    const fresh = connect(room, room.tokens[1]);
    await fresh.synced;
    while ((fresh.text()?.length ?? 0) < want) await sleep(1);
    times.push(performance.now() - start);
    fresh.provider.destroyAll();
    await sleep(100);
  }
  seeder.provider.destroyAll();
  times.sort((a, b) => a - b);
  return { bytes: want, joins: times.length, median: pct(times, 0.5), max: times[times.length - 1] };
}

async function storm() {
  const clients = [];
  const times = [];
  let closes = 0;
  const start = performance.now();
  for (const room of config.rooms) {
    for (let i = 0; i < config.perRoom; i++) {
      const client = connect(room, room.tokens[i]);
      client.provider.on(config.server === "hocus" ? "close" : "connection-close", () => closes++);
      client.synced.then(() => times.push(performance.now() - start));
      clients.push(client);
    }
  }
  const deadline = start + config.timeoutSeconds * 1000;
  while (times.length < clients.length && performance.now() < deadline) await sleep(5);
  const closesBeforeSynced = closes;
  for (const c of clients) c.provider.destroyAll();
  await sleep(200);
  times.sort((a, b) => a - b);
  return {
    clients: clients.length,
    synced: times.length,
    closes: closesBeforeSynced,
    all: times.length === clients.length ? times[times.length - 1] : null,
    median: pct(times, 0.5),
  };
}

const modes = { interview, idle, join, storm };
modes[config.mode]().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (error) => {
    process.stderr.write(`${String(error?.stack ?? error)}\n`);
    process.exit(1);
  },
);
