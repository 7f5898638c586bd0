import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { blankDocuments, findTooDeep, MAX_NESTING } from "./depth.js";
import { parseManifests } from "./parse.js";

const svc = (name: string) => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec: {ports: [{port: 80}]}\n`;
/** A valid Service whose spec nests `depth` flow maps (JSON, as kubectl -o json prints). */
const deepJson = (depth: number) => `{"apiVersion":"v1","kind":"Service","metadata":{"name":"deep"},"spec":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`;
/** The same in block style: one more indentation level per line. */
const deepBlock = (depth: number) => `apiVersion: v1\nkind: Service\nmetadata: {name: deep}\nspec:\n${Array.from({ length: depth }, (_, i) => `${" ".repeat(i + 1)}a${i}:`).join("\n")} 1\n`;

describe("findTooDeep", () => {
  it.each([
    { name: "flow maps", text: deepJson(MAX_NESTING), line: 1 },
    { name: "flow sequences after a block key", text: `a:\n  b: ${"[".repeat(MAX_NESTING)}${"]".repeat(MAX_NESTING)}\n`, line: 2 },
    { name: "indentation", text: deepBlock(MAX_NESTING), line: 4 + MAX_NESTING },
    { name: "compact sequences", text: `a:\n- ${"- ".repeat(MAX_NESTING)}x\n`, line: 2 },
  ])("finds $name nested past the limit, at the line where it passes", ({ text, line }) => {
    const found = findTooDeep(text);
    expect(found).toHaveLength(1);
    expect(found[0]!.line).toBe(line);
  });

  it.each([
    { name: "JSON at the limit", text: deepJson(MAX_NESTING - 2) },
    { name: "block at the limit", text: deepBlock(MAX_NESTING - 2) },
    { name: "brackets in quoted strings", text: `a: "${"[".repeat(1000)}"\nb: '${"{".repeat(1000)}'\nc: "\\"${"[".repeat(1000)}"\n` },
    { name: "brackets in a block scalar", text: `data:\n  x.json: |\n    ${"[".repeat(1000)}\n    ${"{".repeat(1000)}\n  y: 1\n` },
    { name: "brackets inside plain scalars and comments", text: `a: x${"[".repeat(1000)}\nb: 1 # ${"{".repeat(1000)}\nc: don't ${"[".repeat(1000)}\n` },
    { name: "many shallow documents", text: Array.from({ length: 2000 }, (_, i) => svc(`s${i}`)).join("---\n") },
  ])("passes $name", ({ text }) => {
    expect(findTooDeep(text)).toEqual([]);
  });

  it("finds each deep document of a stream and only those; blanking keeps lines and document indices", () => {
    const text = `${svc("a")}---\n${deepJson(5000)}\n---\n${svc("b")}--- ${deepJson(300)}\n...\n${svc("c")}`;
    const found = findTooDeep(text);
    expect(found.map((f) => f.line)).toEqual([6, 12]);
    const blanked = blankDocuments(text, found);
    expect(blanked.split("\n").length).toBe(text.split("\n").length);
    expect(blanked).not.toContain("{{");
    expect(findTooDeep(blanked)).toEqual([]);
  });

  it("never throws and is linear on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("[", "]", "{", "}", "'", '"', "\\", "-", " ", "\n", "#", "|", ":", "a", "---\n") }), (text) => {
        const found = findTooDeep(text, 4);
        for (const f of found) expect(f.start).toBeLessThanOrEqual(f.end);
        const blanked = blankDocuments(text, found);
        expect(blanked.length).toBe(text.length);
      }),
      { numRuns: 500 },
    );
  });
});

describe("parseManifests with deep nesting", () => {
  it("reports the deep document with file and line and keeps the others", () => {
    const r = parseManifests(`${svc("a")}---\n${deepJson(5000)}\n---\n${svc("b")}`, { file: "deep.json" });
    expect(r.objects.map((o) => o.metadata.name)).toEqual(["a", "b"]);
    expect(r.diagnostics).toMatchObject([{ code: "manifest.too-deep", severity: "error", file: "deep.json", line: 6 }]);
    expect(r.diagnostics[0]!.message).toContain(`${MAX_NESTING} levels`);
  });

  it("reads documents nested just under the limit", () => {
    const r = parseManifests(`${deepJson(MAX_NESTING - 2)}\n---\n${deepBlock(MAX_NESTING - 2).replace("name: deep", "name: deep2")}`, { file: "ok.yaml" });
    expect(r.diagnostics).toEqual([]);
    expect(r.objects).toHaveLength(2);
  });

  // The unguarded parser aborts the whole process (V8 out of memory), so this runs in a child
  // process, bounded in time: a regression fails this test instead of killing the test runner.
  it("two 5000-deep JSON files (the QA repro that aborted node) and a 3000-deep YAML file give a diagnostic each, in a child process", () => {
    const script = `
      import { parseManifestFiles } from ${JSON.stringify(join(import.meta.dirname, "parse.ts"))};
      const deep = ${JSON.stringify(deepJson(5000))};
      const wide = ${JSON.stringify(deepBlock(3000))};
      const r = parseManifestFiles([{ file: "a.json", text: deep }, { file: "c.json", text: deep }, { file: "b.yaml", text: wide }, { file: "ok.yaml", text: ${JSON.stringify(svc("ok"))} }]);
      console.log(JSON.stringify({ names: r.objects.map((o) => o.metadata.name), diags: r.diagnostics.map((d) => [d.code, d.file, d.line]) }));
    `;
    const dir = mkdtempSync(join(tmpdir(), "gwsim-deep-"));
    const file = join(dir, "deep.mts");
    writeFileSync(file, script);
    const out = execFileSync(process.execPath, ["--import", "tsx", file], { encoding: "utf8", timeout: 60_000, cwd: join(import.meta.dirname, "../../../..") });
    expect(JSON.parse(out)).toEqual({
      names: ["ok"],
      diags: [["manifest.too-deep", "a.json", 1], ["manifest.too-deep", "c.json", 1], ["manifest.too-deep", "b.yaml", 4 + MAX_NESTING]],
    });
  }, 90_000);

});
