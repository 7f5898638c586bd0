import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const pnpm = ["-y", "pnpm@10.34.9"];

// Packs both packages as a registry would publish them and installs them into a project outside the
// workspace: the exports maps, types and the bin must work there. Uses the npm registry for zod and yaml.
describe("published packages", () => {
  const scratch = mkdtempSync(join(tmpdir(), "gwsim-pack-"));
  beforeAll(() => {
    const built = existsSync(join(root, "packages/core/dist/index.js")) && existsSync(join(root, "packages/sim/dist/cli.js"));
    if (!built) execFileSync("npx", [...pnpm, "run", "build"], { cwd: root, stdio: "pipe" });
  }, 180_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("install into an unrelated project; the library imports and the bin runs", () => {
    for (const pkg of ["core", "sim"]) {
      execFileSync("npx", [...pnpm, "pack", "--pack-destination", scratch], { cwd: join(root, "packages", pkg), stdio: "pipe" });
    }
    const tarballs = readdirSync(scratch).filter((f) => f.endsWith(".tgz"));
    expect(tarballs).toHaveLength(2);
    const app = join(scratch, "app");
    execFileSync("mkdir", ["-p", app]);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs.map((t) => join(scratch, t))], { cwd: app, stdio: "pipe" });
    writeFileSync(
      join(app, "main.js"),
      `import { parseManifests } from "@gwsim/core";
const { objects, diagnostics } = parseManifests("apiVersion: v1\\nkind: Namespace\\nmetadata: {name: x}\\n", { file: "x.yaml" });
console.log(JSON.stringify({ n: objects.length, d: diagnostics.length }));`,
    );
    expect(execFileSync("node", ["main.js"], { cwd: app, encoding: "utf8" }).trim()).toBe('{"n":1,"d":0}');
    const help = execFileSync(join(app, "node_modules/.bin/gwsim"), ["--help"], { encoding: "utf8" });
    expect(help).toContain("usage: gwsim <command>");
    expect(existsSync(join(app, "node_modules/@gwsim/core/dist/index.d.ts"))).toBe(true);
  }, 180_000);
});
