/**
 * `pnpm bench [NAME ...] [-- FLAGS]`: runs every bench/*.bench.ts in turn (or the named ones:
 * `pnpm bench replay` runs bench/replay.bench.ts), each in its own Node process so that one
 * benchmark's heap and JIT state do not colour the next. Flags after the names (`--quick`, ...)
 * are passed to each benchmark. Each prints its own table and writes bench/results/NAME.json.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .map((f) => f.slice(0, -".bench.ts".length))
  .sort();

const args = process.argv.slice(2).filter((a) => a !== "--");
const names = args.filter((a) => !a.startsWith("-"));
const flags = args.filter((a) => a.startsWith("-"));
const unknown = names.filter((n) => !all.includes(n));
if (unknown.length) {
  console.error(`bench: no bench/${unknown[0]}.bench.ts (have: ${all.join(", ")})`);
  process.exit(2);
}
const chosen = names.length ? names : all;

const failed: string[] = [];
for (const name of chosen) {
  console.log(`\n=== ${name} ===`);
  const started = Date.now();
  // Sources run as TypeScript through tsx, with the workspace packages resolved to their sources.
  const r = spawnSync(process.execPath, ["--conditions=development", "--import", "tsx", join(here, `${name}.bench.ts`), ...flags], { stdio: "inherit" });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    failed.push(name);
    console.error(`bench: ${name} failed (${r.signal ?? `exit ${r.status}`}) after ${seconds} s`);
  } else console.log(`(${name}: ${seconds} s)`);
}
if (failed.length) process.exit(1);
