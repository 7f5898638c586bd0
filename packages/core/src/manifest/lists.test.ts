import { describe, expect, it } from "vitest";
import { admitObjects, parseManifests } from "./parse.js";

describe("Lists whose items are not an array", () => {
  it.each([
    ["items: null", "null"],
    ["items: 5", "found number"],
    ["items: {a: 1}", "found object"],
    ["", "it has none"],
  ])("%s → manifest.invalid-list, not a missing name", (items, found) => {
    const r = parseManifests(`apiVersion: v1\nkind: List\n${items}\n---\n${"apiVersion: v1\nkind: Service\nmetadata: {name: ok}\nspec: {ports: [{port: 80}]}\n"}`, { file: "l.yaml" });
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: "manifest.invalid-list", severity: "error", file: "l.yaml", line: items ? 3 : 1, path: "items" });
    expect(r.diagnostics[0]!.message).toContain("List items must be an array");
    expect(r.diagnostics[0]!.message).toContain(found);
    expect(r.objects.map((o) => o.metadata.name)).toEqual(["ok"]);
  });

  it("a kind ending in List with items that are not an array is the same problem", () => {
    const r = parseManifests("apiVersion: v1\nkind: ServiceList\nitems: null\n");
    expect(r.diagnostics).toMatchObject([{ code: "manifest.invalid-list" }]);
  });

  it("the same from parsed objects (buildWorld's path)", () => {
    const r = admitObjects([{ apiVersion: "v1", kind: "List", items: null }, { apiVersion: "v1", kind: "List", items: 5 }]);
    expect(r.diagnostics.map((d) => [d.code, d.doc, d.message])).toEqual([
      ["manifest.invalid-list", 0, "List items must be an array of objects (found null)"],
      ["manifest.invalid-list", 1, "List items must be an array of objects (found number)"],
    ]);
  });
});
