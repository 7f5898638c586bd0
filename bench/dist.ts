/**
 * The packages as users run them: @gwsim/core and @gwsim/sim from their built dist/ (plain
 * JavaScript, which tsx leaves alone), typed from their sources so that typecheck needs no
 * build. `pnpm bench` (bench/run.ts) builds them first. The bench files themselves, and the
 * test helpers that make their worlds, still run through tsx: they are not what is measured.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type * as CoreApi from "../packages/core/src/index.js";
import type * as SimApi from "../packages/sim/src/index.js";
import type * as LoadApi from "../packages/sim/src/load/manifests.js";

/** The repository (a copy of a bench running elsewhere is told by BENCH_ROOT). */
export const root = process.env.BENCH_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), "..");

async function load<T>(path: string): Promise<T> {
  const file = join(root, path);
  if (!existsSync(file)) throw new Error(`bench: ${path} is missing: run \`pnpm build\` first (\`pnpm bench\` does)`);
  return (await import(pathToFileURL(file).href)) as T;
}

export const core = await load<typeof CoreApi>("packages/core/dist/index.js");
export const sim = await load<typeof SimApi>("packages/sim/dist/index.js");
/** The CLI's manifest loader (files and directories), not part of the package's API. */
export const simLoad = await load<typeof LoadApi>("packages/sim/dist/load/manifests.js");
