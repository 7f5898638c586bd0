import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatDiagnostics } from "../packages/sim/src/cli/diagnostics.js";
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

  it("a directory with no manifest file is said (a warning), and a file that cannot be read has no made-up position", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gwsim-load-"));
    try {
      mkdirSync(join(dir, "empty"));
      mkdirSync(join(dir, "notes"));
      writeFileSync(join(dir, "notes", "README.md"), "not a manifest\n");
      const r = await loadManifests(["empty", "notes", "missing.yaml"], nodeSource(dir));
      expect(r.diagnostics).toMatchObject([
        { code: "io.empty-directory", severity: "warning", file: "empty" },
        { code: "io.empty-directory", severity: "warning", file: "notes" },
      ]);
      expect(formatDiagnostics([...r.diagnostics, ...r.unreadable])).toBe(
        "gwsim: empty: warning: no .yaml, .yml or .json file in this directory\n" +
          "gwsim: missing.yaml: cannot read missing.yaml: no such file or directory\n" +
          "gwsim: notes: warning: no .yaml, .yml or .json file in this directory\n",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a directory with manifests deeper down is not empty", async () => {
    const r = await loadManifests(["nested"], nodeSource(fixtures));
    expect(r.diagnostics.filter((d) => d.code === "io.empty-directory")).toEqual([]);
  });
});
