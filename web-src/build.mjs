// Bundle every entry point in web-src/ into static/dist/ (ES modules, minified, with source maps).

import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.dirname(fileURLToPath(import.meta.url));
const entries = ["dashboard.ts", "pad/main.ts", "playback/main.ts", "scorecard.ts", "take.ts"];

await build({
  entryPoints: entries.map((name) => ({ in: path.join(root, name), out: name.replace(/\/main\.ts$|\.ts$/, "") })),
  outdir: path.join(root, "..", "static", "dist"),
  bundle: true,
  format: "esm",
  target: ["es2020"],
  minify: true,
  sourcemap: true,
  logLevel: "warning",
});
