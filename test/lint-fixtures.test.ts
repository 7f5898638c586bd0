/**
 * One folder per lint finding under test/fixtures/lint/<rule>/ (plus clean/): the manifests and
 * expected-findings.jsonl, the complete list of findings (rule, severity, object, field path,
 * position), one per line. (Not .json: `gwsim lint -f <folder>` reads every .json file.)
 * A fixture must find its own rule, and every rule has a fixture.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifestFiles } from "../packages/core/src/manifest/parse.js";
import { buildWorld, type World } from "../packages/core/src/world.js";
import { lint, LINT_RULE_IDS, LINT_RULES } from "../packages/core/src/lint/index.js";

const root = join(import.meta.dirname, "fixtures/lint");
const fixtures = readdirSync(root).sort();

function load(name: string) {
  const dir = join(root, name);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => ({ file: f, text: readFileSync(join(dir, f), "utf8") }));
  const { objects, diagnostics } = parseManifestFiles(files);
  const world = buildWorld(objects);
  return { objects, world, problems: [...diagnostics, ...world.diagnostics], expected: readFileSync(join(dir, "expected-findings.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as unknown) };
}

describe("lint fixtures", () => {
  it("every rule has a fixture folder named after it", () => {
    expect(LINT_RULE_IDS.filter((id) => !fixtures.includes(id))).toEqual([]);
    expect(fixtures).toContain("clean");
  });

  it.each(fixtures)("%s", (name) => {
    const { objects, world, problems, expected } = load(name);
    expect(problems, "fixture manifests must be valid").toEqual([]);
    const findings = lint(world, { objects });
    const got = findings.map((f) => ({
      rule: f.rule,
      severity: f.severity,
      object: `${f.object.kind} ${f.object.namespace ? `${f.object.namespace}/` : ""}${f.object.name}`,
      path: f.path,
      at: `${f.file}:${f.line}:${f.column}`,
    }));
    expect(got).toEqual(expected);
    if (name === "clean") expect(findings).toEqual([]);
    else expect(findings.map((f) => f.rule)).toContain(name);
    for (const f of findings) {
      expect(f.message.length).toBeGreaterThan(20);
      expect(f.fix.length).toBeGreaterThan(10);
    }
  });

  it("without the objects, findings still point at the object (from the graph) and grants are skipped", () => {
    // A World built by hand from a graph has no objects to read positions or grants from.
    const bare = (w: World): World => ({ ...w, objects: [] });
    const { world } = load("unreachable-rule");
    const [f] = lint(bare(world));
    expect(f).toMatchObject({ rule: "unreachable-rule", file: "10-routes.yaml", line: 3 });
    const grants = load("grant-unused");
    expect(lint(bare(grants.world)).filter((x) => x.rule.startsWith("grant-"))).toEqual([]);
  });

  it("the bundled example world is clean", () => {
    const dir = join(import.meta.dirname, "../packages/examples/world");
    const files = readdirSync(dir).map((f) => ({ file: f, text: readFileSync(join(dir, f), "utf8") }));
    const { objects } = parseManifestFiles(files);
    expect(lint(buildWorld(objects), { objects })).toEqual([]);
  });

  it("docs/lint.md documents every rule, with its default severity", () => {
    const doc = readFileSync(join(import.meta.dirname, "../docs/lint.md"), "utf8");
    for (const r of LINT_RULES) {
      expect(doc, r.id).toContain(`### ${r.id}\n`);
      expect(doc, r.id).toMatch(new RegExp(`\\| \\[\`${r.id}\`\\]\\(#${r.id}\\) \\| ${r.severity}`));
    }
  });

  it("disable leaves a rule out", () => {
    const { world, objects } = load("weight-rounds-to-zero");
    expect(lint(world, { objects, disable: ["weight-rounds-to-zero"] })).toEqual([]);
  });
});
