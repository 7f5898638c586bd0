/** scripts/prune-dist.mjs (each package's prepack) refuses npm pack, which would ship a tarball that does not load. */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const script = join(import.meta.dirname, "..", "scripts", "prune-dist.mjs");
const pkg = mkdtempSync(join(tmpdir(), "gwsim-prune-"));
mkdirSync(join(pkg, "dist"));
mkdirSync(join(pkg, "src"));
afterAll(() => rmSync(pkg, { recursive: true, force: true }));

const run = (agent: string) => spawnSync(process.execPath, [script], { cwd: pkg, encoding: "utf8", env: { ...process.env, npm_config_user_agent: agent } });

describe("prepack's prune-dist", () => {
  it("refuses npm pack, saying why", () => {
    const r = run("npm/11.6.2 node/v20.20.2 linux x64 workspaces/false");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("pack with pnpm (pnpm pack), not npm/11.6.2: it ignores publishConfig.exports and workspace:* versions");
  });

  it("runs under pnpm pack, and when run by hand", () => {
    expect(run("pnpm/10.34.9 npm/? node/v20.20.2 linux x64").status).toBe(0);
    expect(run("").status).toBe(0);
  });
});
