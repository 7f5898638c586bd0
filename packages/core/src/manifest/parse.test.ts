import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sourceOf } from "./object.js";
import { parseManifestFiles, parseManifests } from "./parse.js";

const svc = (name: string, ns?: string) =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ""}spec:\n  ports:\n  - port: 80\n`;

describe("parseManifests", () => {
  it("reads a multi-document stream and records each object's source", () => {
    const r = parseManifests(`${svc("a")}---\n${svc("b", "shop")}`, { file: "s.yaml" });
    expect(r.diagnostics).toEqual([]);
    expect(r.objects.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(["default/a", "shop/b"]);
    expect(sourceOf(r.objects[1]!)).toMatchObject({ file: "s.yaml", line: 9, column: 1, doc: 1 });
    expect(sourceOf(r.objects[1]!)!.fields["spec.ports[0].port"]).toEqual([16, 11]);
  });

  it("reads JSON", () => {
    const r = parseManifests(JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "x" } }), { file: "n.json" });
    expect(r.diagnostics).toEqual([]);
    expect(r.objects[0]!.metadata).toEqual({ name: "x" }); // cluster-scoped: no namespace added
  });

  it("unwraps kubectl List output with per-item positions", () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n- ${svc("a").replace(/\n(?=.)/g, "\n  ")}- ${svc("b").replace(/\n(?=.)/g, "\n  ")}`;
    const r = parseManifests(text, { file: "l.yaml" });
    expect(r.diagnostics).toEqual([]);
    expect(r.objects.map((o) => o.metadata.name)).toEqual(["a", "b"]);
    expect(sourceOf(r.objects[1]!)).toMatchObject({ line: 11, column: 3, item: 1 });
    expect(sourceOf(r.objects[1]!)!.fields["metadata.name"]).toEqual([14, 11]);
  });

  it("strips a UTF-8 byte order mark", () => {
    expect(parseManifests(`\ufeff${svc("a")}`).objects).toHaveLength(1);
  });

  it.each([
    { name: "YAML syntax error", text: `${svc("ok")}---\nkind: [Service\n`, code: "yaml.syntax", line: 10 },
    { name: "a list document", text: "- a\n- b\n", code: "manifest.not-object", line: 1 },
    { name: "a scalar document", text: "just text\n", code: "manifest.not-object", line: 1 },
    { name: "missing kind", text: "apiVersion: v1\nmetadata: {name: a}\n", code: "manifest.missing-kind", line: 1 },
    { name: "missing apiVersion", text: "kind: Service\nmetadata: {name: a}\n", code: "manifest.missing-apiversion", line: 1 },
    { name: "missing name", text: "apiVersion: v1\nkind: Service\nmetadata:\n  namespace: x\n", code: "manifest.missing-name", line: 3 },
    { name: "duplicate key", text: "apiVersion: v1\nkind: Service\nkind: Service\nmetadata: {name: a}\n", code: "yaml.syntax", line: 3 },
  ])("reports $name as $code at line $line and keeps the other documents", ({ text, code, line }) => {
    const r = parseManifests(`${text}---\n${svc("survivor")}`, { file: "bad.yaml" });
    const d = r.diagnostics.find((x) => x.severity === "error");
    expect(d).toMatchObject({ code, file: "bad.yaml", line });
    expect(r.objects.map((o) => o.metadata.name)).toContain("survivor");
  });

  it("skips unknown kinds with a note, not an error", () => {
    const r = parseManifests("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n");
    expect(r.objects).toEqual([]);
    expect(r.diagnostics).toMatchObject([{ code: "manifest.unknown-kind", severity: "info" }]);
  });

  it("reports duplicates across files naming both locations", () => {
    const r = parseManifestFiles([
      { file: "a.yaml", text: svc("web", "shop") },
      { file: "b.yaml", text: `${svc("other")}---\n${svc("web", "shop")}` },
    ]);
    expect(r.objects).toHaveLength(2);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: "manifest.duplicate", file: "b.yaml", line: 9 });
    expect(r.diagnostics[0]!.message).toContain("a.yaml:1:1");
    expect(r.diagnostics[0]!.message).toContain("b.yaml:9:1");
    // The later definition is the one used, in the place of the first.
    expect(r.diagnostics[0]).toMatchObject({ severity: "warning" });
    expect(r.objects.map((o) => o.metadata.name)).toEqual(["web", "other"]);
    expect(sourceOf(r.objects[0]!)?.file).toBe("b.yaml");
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), yamlish()), (text) => {
        const r = parseManifests(text, { file: "fuzz" });
        expect(Array.isArray(r.objects)).toBe(true);
        for (const d of r.diagnostics) expect(d.line).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });
});

function yamlish() {
  const token = fc.constantFrom("apiVersion: v1\n", "kind: Service\n", "kind: List\n", "items:\n", "- ", "  ", "metadata:\n", "name: a\n", "---\n", "{", "}", "[", "]", "&a ", "*a ", "<<: *a\n", ": ", "'", '"', "\t", "#x\n");
  return fc.array(token, { maxLength: 30 }).map((t) => t.join(""));
}
