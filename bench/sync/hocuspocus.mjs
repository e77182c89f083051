// The Hocuspocus anchor for bench/sync_bench.py: a stock server, documents in memory.
import { Server } from "@hocuspocus/server";

const server = new Server({ port: Number(process.env.PORT), address: "127.0.0.1", quiet: true });
await server.listen();
console.log(`running at 127.0.0.1 on port ${process.env.PORT}`);
