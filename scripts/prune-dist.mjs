// Removes from ./dist what the current ./src no longer builds to (files of deleted or renamed sources,
// tests, source maps of older builds), so that a packed tarball holds only what src builds to now.
// Used by each package's prepack, after the build; dist is never removed as a whole, so other
// processes reading it meanwhile (tests, a running CLI) never find it missing.
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";

// npm pack ignores publishConfig (its exports would send the `development` condition to src/,
// which is not shipped) and keeps `workspace:*` versions: only pnpm packs these packages right.
const agent = process.env.npm_config_user_agent ?? "";
if (agent !== "" && !agent.startsWith("pnpm/")) {
  console.error(`prune-dist: pack with pnpm (pnpm pack), not ${agent.split(" ")[0]}: it ignores publishConfig.exports and workspace:* versions, and the tarball would not load`);
  process.exit(1);
}

const dist = join(process.cwd(), "dist");
const src = join(process.cwd(), "src");
const removed = [];
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile()) continue;
  const file = join(entry.parentPath ?? entry.path, entry.name);
  const rel = relative(dist, file);
  const stem = rel.replace(/(\.d\.ts|\.js)(\.map)?$/, "");
  const built = stem !== rel && !rel.endsWith(".map") && existsSync(join(src, `${stem}.ts`)) && !/(\.test$|(^|\/)__tests__\/)/.test(stem);
  if (!built) {
    rmSync(file);
    removed.push(rel);
  }
}
if (removed.length > 0) console.log(`prune-dist: removed ${removed.length} stale file(s) from ${relative(process.cwd(), dist)}`);
