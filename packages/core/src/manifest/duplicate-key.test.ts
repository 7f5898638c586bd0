import { describe, expect, it } from "vitest";
import { parseManifests } from "./parse.js";

describe("a key repeated in one mapping", () => {
  it.each([
    { case: "plain key", text: "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  ports: []\n  ports: []\n", key: "ports", at: [6, 3] },
    { case: "quoted key", text: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  "name": b\n', key: "name", at: [5, 3] },
    { case: "flow mapping", text: "apiVersion: v1\nkind: Service\nmetadata: {name: a, name: b}\n", key: "name", at: [3, 21] },
  ])("$case: the diagnostic names the key at its second place, and the document is skipped", ({ text, key, at }) => {
    const r = parseManifests(text, { file: "svc.yaml" });
    expect(r.objects).toEqual([]);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: "yaml.syntax", severity: "error", line: at[0], column: at[1] });
    expect(r.diagnostics[0]!.message).toBe(`duplicate key ${JSON.stringify(key)}: a key may appear once in a mapping; this document is skipped (kubectl refuses it too)`);
  });

  it("other documents of the file are still read", () => {
    const r = parseManifests("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {}\nspec: {}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n");
    expect(r.objects.map((o) => o.metadata.name)).toEqual(["b"]);
  });
});
