// A real Yjs client for the interop tests: the stock y-websocket provider (yjs 13, y-websocket 3)
// in its own Node process, driven by JSON commands on stdin and reporting JSON events on stdout.
//
// usage: node yjs_client.mjs <ws-base-url>/sync <session-id> <token> <name>
import { createInterface } from "node:readline";
import WebSocket from "ws";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";

const [base, sessionId, token, name] = process.argv.slice(2);
const doc = new Y.Doc();
const files = doc.getMap("files");
const provider = new WebsocketProvider(base, sessionId, doc, {
  params: { token },
  WebSocketPolyfill: WebSocket,
  disableBc: true, // Node >= 18 has BroadcastChannel: without this, same-host clients bypass the server
});

const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const text = (path) => (files.get(path) ? files.get(path).toString() : "");
const waiters = [];

provider.on("sync", (synced) => synced && emit({ event: "synced", files: [...files.keys()] }));
provider.on("connection-close", (event) => emit({ event: "closed", code: event ? event.code : null }));
provider.awareness.on("change", () => {
  const peers = [...provider.awareness.getStates().entries()]
    .filter(([id]) => id !== doc.clientID)
    .map(([id, state]) => ({ id, user: state.user ?? null }));
  emit({ event: "awareness", peers });
});
doc.on("update", () => {
  for (const waiter of [...waiters]) {
    if (text(waiter.path).includes(waiter.contains)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      emit({ event: "seen", path: waiter.path, text: text(waiter.path) });
    }
  }
});

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const command = JSON.parse(line);
  if (command.op === "insert") {
    doc.transact(() => {
      if (!files.has(command.path)) files.set(command.path, new Y.Text());
      files.get(command.path).insert(command.index, command.text);
    });
    emit({ event: "inserted" });
  } else if (command.op === "wait") {
    if (text(command.path).includes(command.contains)) {
      emit({ event: "seen", path: command.path, text: text(command.path) });
    } else {
      waiters.push(command);
    }
  } else if (command.op === "awareness") {
    provider.awareness.setLocalStateField("user", { name, color: "#30a14e" });
    provider.awareness.setLocalStateField("cursor", command.cursor);
    emit({ event: "awareness-set" });
  } else if (command.op === "edit") {
    // `count` random edits (inserts, deletes) at random places of `path`, `gapMs` apart
    let left = command.count;
    const step = () => {
      if (left-- <= 0) return emit({ event: "edited" });
      doc.transact(() => {
        if (!files.has(command.path)) files.set(command.path, new Y.Text());
        const target = files.get(command.path);
        if (Math.random() < 0.3 && target.length > 2) {
          const at = Math.floor(Math.random() * (target.length - 1));
          target.delete(at, Math.min(target.length - at, 1 + Math.floor(Math.random() * 3)));
        } else {
          const at = Math.floor(Math.random() * (target.length + 1));
          target.insert(at, `${name[0]}${Math.floor(Math.random() * 10)}`);
        }
      });
      setTimeout(step, command.gapMs ?? 0);
    };
    step();
  } else if (command.op === "files") {
    emit({ event: "files", files: Object.fromEntries([...files.keys()].map((path) => [path, text(path)])) });
  } else if (command.op === "quit") {
    provider.destroy();
    process.exit(0);
  }
});
