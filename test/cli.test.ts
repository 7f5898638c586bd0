import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

const fixtures = join(import.meta.dirname, "fixtures/validate");
const root = join(import.meta.dirname, "..");

describe("gwsim validate", () => {
  it("reports every broken document with file:line:col and field path, keeps checking the rest, exits 1", async () => {
    const r = await runCli(["validate", "-f", "."], { cwd: fixtures });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    for (const l of lines) expect(l).toMatch(/^gwsim: [\w.]+:\d+:\d+: /);
    // The Service backendRef without a port: CEL rule, reported at the backendRef.
    expect(lines.some((l) => l.startsWith("gwsim: broken.yaml:11:7: spec.rules[0].backendRefs[0]"))).toBe(true);
    // The YAML syntax error in another file is reported too.
    expect(lines.some((l) => l.startsWith("gwsim: syntax.yaml:5:"))).toBe(true);
    expect(r.stdout).toContain("Gateway infra/gw");
    expect(r.stdout).toContain("HTTPRoute infra/ok");
  });

  it("exits 0 on valid manifests", async () => {
    const r = await runCli(["validate", "-f", "good.yaml"], { cwd: fixtures });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("all 1 objects valid");
  });

  it("exits 2 on an unreadable path and on bad usage", async () => {
    expect((await runCli(["validate", "-f", "nope.yaml"], { cwd: fixtures })).code).toBe(2);
    const usage = await runCli(["validate"], { cwd: fixtures });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("gwsim: no manifests given");
    expect((await runCli(["frobnicate"])).code).toBe(2);
    expect((await runCli(["validate", "--bogus"])).code).toBe(2);
  });

  it("returns the same diagnostics as data with --json", async () => {
    const r = await runCli(["validate", "-f", ".", "--json"], { cwd: fixtures });
    const out = JSON.parse(r.stdout) as { diagnostics: { file: string; line: number; path: string }[] };
    expect(out.diagnostics.some((d) => d.file === "broken.yaml" && d.line === 11)).toBe(true);
  });
});

describe("the gwsim binary", () => {
  const cli = join(root, "packages/sim/dist/cli.js");
  it.runIf(existsSync(cli))("prints errors as `gwsim: file:line:col: ...` on stderr, no stack trace", () => {
    const r = spawnSync(process.execPath, [cli, "validate", "-f", "syntax.yaml"], { cwd: fixtures, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^gwsim: syntax\.yaml:5:\d+: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(execFileSync(process.execPath, [cli, "--help"], { encoding: "utf8" })).toContain("validate");
  });
});
