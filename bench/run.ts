/**
 * `pnpm bench [NAME ...] [-- FLAGS]`: runs every bench/*.bench.ts in turn (or the named ones:
 * `pnpm bench replay` runs bench/replay.bench.ts), each in its own Node process so that one
 * benchmark's heap and JIT state do not colour the next. Flags after the names (`--quick`, ...)
 * are passed to each benchmark. Each prints its own table and writes bench/results/NAME.json.
 *
 * The benchmarks measure the built packages (packages/{core,sim}/dist, as users run them), so
 * `pnpm build` runs first; `--no-build` skips it when dist is there already.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .map((f) => f.slice(0, -".bench.ts".length))
  .sort();

const args = process.argv.slice(2).filter((a) => a !== "--");
const names = args.filter((a) => !a.startsWith("-"));
const noBuild = args.includes("--no-build");
const flags = args.filter((a) => a.startsWith("-") && a !== "--no-build");
const unknown = names.filter((n) => !all.includes(n));
if (unknown.length) {
  console.error(`bench: no bench/${unknown[0]}.bench.ts (have: ${all.join(", ")})`);
  process.exit(2);
}
const chosen = names.length ? names : all;

const root = join(here, "..");
const built = () => existsSync(join(root, "packages/core/dist/index.js")) && existsSync(join(root, "packages/sim/dist/index.js"));
if (!noBuild || !built()) {
  // pnpm runs this script with npm_execpath set to itself; otherwise the pinned pnpm through npx.
  const pnpm = process.env.npm_execpath;
  const [cmd, cmdArgs] = pnpm && /pnpm/.test(pnpm) ? [process.execPath, [pnpm, "build"]] : ["npx", ["-y", "pnpm@10.34.9", "build"]];
  console.log("bench: pnpm build");
  const b = spawnSync(cmd, cmdArgs, { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  if (b.status !== 0) {
    if (!built()) {
      console.error(`bench: pnpm build failed (${b.signal ?? `exit ${b.status}`}) and there is no dist to measure`);
      process.exit(1);
    }
    console.error(`bench: pnpm build reported errors (${b.signal ?? `exit ${b.status}`}); measuring the dist it wrote`);
  }
}

const failed: string[] = [];
for (const name of chosen) {
  console.log(`\n=== ${name} ===`);
  const started = Date.now();
  // The bench file runs through tsx; the packages it measures are their built dist (bench/dist.ts).
  const r = spawnSync(process.execPath, ["--import", "tsx", join(here, `${name}.bench.ts`), ...flags], { stdio: "inherit" });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    failed.push(name);
    console.error(`bench: ${name} failed (${r.signal ?? `exit ${r.status}`}) after ${seconds} s`);
  } else console.log(`(${name}: ${seconds} s)`);
}
if (failed.length) process.exit(1);
