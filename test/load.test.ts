import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadManifests, nodeSource } from "../packages/sim/src/load/manifests.js";

const fixtures = join(import.meta.dirname, "fixtures/load");

describe("loadManifests", () => {
  it("reads a directory recursively (yaml, yml, json), in name order, ignoring other files", async () => {
    const r = await loadManifests(["."], nodeSource(fixtures));
    expect(r.unreadable).toEqual([]);
    expect(r.files).toEqual(["a.yaml", "nested/b.yml", "nested/deeper/c.json"]);
    expect(r.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(["Namespace/shop", "Service/web", "Service/api"]);
  });

  it("reads stdin for -", async () => {
    const source = { ...nodeSource(fixtures), readStdin: async () => "apiVersion: v1\nkind: Namespace\nmetadata: {name: from-stdin}\n" };
    const r = await loadManifests(["-"], source);
    expect(r.files).toEqual(["<stdin>"]);
    expect(r.objects[0]!.metadata.name).toBe("from-stdin");
  });

  it("reports an unreadable path and still reads the others", async () => {
    const r = await loadManifests(["missing.yaml", "a.yaml"], nodeSource(fixtures));
    expect(r.unreadable).toMatchObject([{ code: "io.unreadable", file: "missing.yaml" }]);
    expect(r.unreadable[0]!.message).toContain("no such file");
    expect(r.objects).toHaveLength(1);
  });

  it("reports a duplicate given twice through different paths", async () => {
    const r = await loadManifests(["a.yaml", "."], nodeSource(fixtures));
    expect(r.diagnostics.filter((d) => d.code === "manifest.duplicate")).toHaveLength(1);
  });
});
