import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { LINT_RULE_IDS } from "@gwsim/core";
import { validateSarif } from "../../../../test/helpers/sarif.js";
import type { Io } from "./io.js";
import { UsageError } from "./io.js";
import { lintCommand } from "./lint.js";
import { artifactLocationOf, toSarif } from "./lint-sarif.js";
import { nodeSource } from "../load/manifests.js";

const root = join(import.meta.dirname, "../../../..");
const fixtures = join(root, "test/fixtures/lint");

async function run(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    ...nodeSource(root),
    readStdin: async () => "",
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stdin: Readable.from([""]),
    stderrIsTTY: false,
    env: {},
  };
  const code = await lintCommand(argv, io);
  return { code, stdout, stderr };
}

const fixture = (name: string) => `test/fixtures/lint/${name}`;

describe("gwsim lint", () => {
  it("finds each planted mistake in its fixture; exit 1 exactly when an error finding exists", async () => {
    for (const name of readdirSync(fixtures)) {
      const r = await run(["-f", fixture(name), "--json"]);
      const out = JSON.parse(r.stdout) as { findings: { rule: string; severity: string }[]; counts: { error: number } };
      expect(r.stderr, name).toBe("");
      if (name === "clean") expect(out.findings).toEqual([]);
      else expect(out.findings.map((f) => f.rule), name).toContain(name);
      expect(r.code, name).toBe(out.findings.some((f) => f.severity === "error") ? 1 : 0);
      expect(out.counts.error).toBe(out.findings.filter((f) => f.severity === "error").length);
    }
  });

  it("text: file:line:col, severity, message, rule, object, fix and related places", async () => {
    const r = await run(["-f", fixture("unreachable-rule")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^test\/fixtures\/lint\/unreachable-rule\/10-routes\.yaml:22:5: error: rule 1 of HTTPRoute shop\/shop can never be reached: .* \[unreachable-rule\]$/m);
    expect(r.stdout).toContain("    in HTTPRoute shop/shop spec.rules[1]");
    expect(r.stdout).toMatch(/^ {4}fix: remove the rule/m);
    // The lines under the first wrap at 80 columns, continued 8 in.
    expect(r.stdout.replace(/\n {8}/g, " ")).toMatch(/^ {4}see test\/fixtures\/lint\/unreachable-rule\/10-routes\.yaml:16:7: match 0 of rule 0/m);
    expect(r.stdout).toMatch(/1 finding\(s\): 1 error\(s\), 0 warning\(s\), 0 info\n$/);
    const clean = await run(["-f", fixture("clean")]);
    expect(clean).toMatchObject({ code: 0, stdout: expect.stringMatching(/^no findings \(\d+ object\(s\) checked\)\n$/) });
  });

  it("--sarif is SARIF 2.1.0 for every fixture", async () => {
    for (const name of readdirSync(fixtures)) {
      const r = await run(["-f", fixture(name), "--sarif"]);
      const log = JSON.parse(r.stdout);
      expect(validateSarif(log), name).toEqual([]);
      expect(log.runs[0].tool.driver.rules.map((x: { id: string }) => x.id)).toEqual([...LINT_RULE_IDS]);
    }
    const all = await run(["-f", "test/fixtures/lint", "--sarif"]);
    const log = JSON.parse(all.stdout);
    expect(validateSarif(log)).toEqual([]);
    // Fixtures reuse object names, so the directory as a whole keeps each one's last definition:
    // a finding's location is checked on its own fixture.
    const single = JSON.parse((await run(["-f", fixture("backend-port-not-found"), "--sarif"])).stdout);
    const result = single.runs[0].results.find((x: { ruleId: string }) => x.ruleId === "backend-port-not-found");
    expect(result).toMatchObject({
      level: "error",
      locations: [{ physicalLocation: { artifactLocation: { uri: "test/fixtures/lint/backend-port-not-found/10-routes.yaml" }, region: { startLine: 16, startColumn: 13 } } }],
    });
    expect(result.message.text).toMatch(/Fix: set port: 8080\.$/);
    const weights = JSON.parse((await run(["-f", fixture("weight-rounds-to-zero"), "--sarif"])).stdout);
    expect(weights.runs[0].results.map((x: { level: string }) => x.level)).toEqual(["warning", "note"]);
  });

  it("SARIF locations: relative paths under %SRCROOT% (the working directory), absolute ones as file: URIs", async () => {
    const log = JSON.parse((await run(["-f", fixture("backend-port-not-found"), "--sarif"])).stdout);
    expect(log.runs[0].originalUriBaseIds).toEqual({ "%SRCROOT%": { uri: `file://${root.split("/").map(encodeURIComponent).join("/")}/` } });
    expect(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation).toEqual({ uri: "test/fixtures/lint/backend-port-not-found/10-routes.yaml", uriBaseId: "%SRCROOT%" });
    const dir = mkdtempSync(join(tmpdir(), "gwsim lint "));
    try {
      for (const f of readdirSync(join(fixtures, "backend-port-not-found"))) writeFileSync(join(dir, f), readFileSync(join(fixtures, "backend-port-not-found", f)));
      const outside = JSON.parse((await run(["-f", dir, "--sarif"])).stdout);
      expect(validateSarif(outside)).toEqual([]);
      expect(outside.runs[0].results[0].locations[0].physicalLocation.artifactLocation).toEqual({ uri: `file://${join(dir, "10-routes.yaml").split("/").map(encodeURIComponent).join("/")}` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    { path: "manifests/a.yaml", want: { uri: "manifests/a.yaml", uriBaseId: "%SRCROOT%" } },
    { path: "manifests\\team a\\r.yaml", want: { uri: "manifests/team%20a/r.yaml", uriBaseId: "%SRCROOT%" } },
    { path: "a:b.yaml", want: { uri: "a%3Ab.yaml", uriBaseId: "%SRCROOT%" } },
    { path: "/srv/gitops/r.yaml", want: { uri: "file:///srv/gitops/r.yaml" } },
    { path: "C:\\work\\gitops\\r #1.yaml", want: { uri: "file:///C:/work/gitops/r%20%231.yaml" } },
    { path: "d:/work/r.yaml", want: { uri: "file:///d:/work/r.yaml" } },
    { path: "\\\\server\\share\\r.yaml", want: { uri: "file://server/share/r.yaml" } },
  ])("artifact location of $path", ({ path, want }) => {
    expect(artifactLocationOf(path)).toEqual(want);
    const log = toSarif(
      [{ rule: "grant-unused", severity: "warning", object: { kind: "ReferenceGrant", namespace: "n", name: "g" }, path: "spec", file: path, line: 1, column: 1, message: "m", fix: "f", related: [] }],
      { toolVersion: "0.0.0", rules: [], baseDirectory: "/srv/gitops" },
    );
    expect(validateSarif(log)).toEqual([]);
  });

  it("the SARIF check itself rejects malformed logs", () => {
    expect(validateSarif({ version: "2.1.0" })).toContain("$: missing required property runs");
    expect(validateSarif({ version: "2.0.0", runs: [] })[0]).toMatch(/version: must be one of 2\.1\.0/);
    const bad = { version: "2.1.0", runs: [{ tool: { driver: { name: "x", rules: [{ id: "a" }] } }, results: [{ ruleId: "b", ruleIndex: 0, level: "info", message: { text: "m" }, locations: [{ physicalLocation: { artifactLocation: { uri: "a b.yaml" }, region: { startLine: 0 } } }], extra: 1 }] }] };
    const problems = validateSarif(bad);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/level: must be one of none, note, warning, error/),
        expect.stringMatching(/uri: must be a URI reference/),
        expect.stringMatching(/startLine: must be an integer >= 1/),
        expect.stringMatching(/property extra is not allowed/),
      ]),
    );
    const wrongIndex = { version: "2.1.0", runs: [{ tool: { driver: { name: "x", rules: [{ id: "a" }] } }, results: [{ ruleId: "b", ruleIndex: 0, message: { text: "m" } }] }] };
    expect(validateSarif(wrongIndex)[0]).toMatch(/ruleIndex 0 does not point at rule b/);
  });

  it("--disable leaves a rule out; usage errors", async () => {
    const r = await run(["-f", fixture("backend-port-not-found"), "--disable", "backend-port-not-found"]);
    expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(/^no findings/) });
    await expect(run(["-f", fixture("clean"), "--disable", "nope"])).rejects.toThrow(UsageError);
    await expect(run(["-f", fixture("clean"), "--json", "--sarif"])).rejects.toThrow(/cannot be combined/);
    await expect(run([])).rejects.toThrow(/no manifests given/);
  });

  it("unreadable input exits 2; invalid documents are reported on stderr and left out", async () => {
    const missing = await run(["-f", "test/fixtures/lint/nope.yaml"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^gwsim: test\/fixtures\/lint\/nope\.yaml: cannot read/);
    const dir = mkdtempSync(join(tmpdir(), "gwsim-lint-"));
    try {
      writeFileSync(join(dir, "bad.yaml"), "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: a}\nspec:\n  rules:\n  - backendRefs: [{name: s, port: 99999}]\n");
      const bad = await run(["-f", join(dir, "bad.yaml")]);
      expect(bad.code).toBe(0);
      expect(bad.stderr).toMatch(/bad\.yaml:6:\d+: .*port/);
      expect(bad.stdout).toMatch(/^no findings/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
