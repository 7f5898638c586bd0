import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { manifestArb } from "../../../../test/arbitraries.js";
import type { ManifestObject } from "../manifest/object.js";
import { parseManifests } from "../manifest/parse.js";
import { validateObject, validateObjects } from "./validate.js";

const clone = <T>(v: T): T => structuredClone(v);

function validated(obj: object) {
  const r = validateObject(clone(obj) as ManifestObject);
  return r;
}

describe("valid manifests", () => {
  it("pass validation without a diagnostic", () => {
    fc.assert(
      fc.property(manifestArb, (m) => {
        const { resource, issues } = validated(m);
        expect(issues).toEqual([]);
        expect(resource).not.toBeNull();
      }),
    );
  });

  it("YAML text → parseManifests → validate gives the object validated directly", () => {
    fc.assert(
      fc.property(manifestArb, (m) => {
        const direct = validated(m).resource;
        const parsed = parseManifests(stringify(m), { file: "p.yaml" });
        expect(parsed.diagnostics).toEqual([]);
        const { resources, diagnostics } = validateObjects(parsed.objects);
        expect(diagnostics).toEqual([]);
        expect(resources).toEqual([direct]);
      }),
    );
  });

  it("defaulting is idempotent: a validated object, written out and read back, validates to itself", () => {
    fc.assert(
      fc.property(manifestArb, (m) => {
        const first = validated(m).resource!;
        const again = validateObjects(parseManifests(stringify(first)).objects);
        expect(again.diagnostics).toEqual([]);
        expect(again.resources).toEqual([first]);
      }),
    );
  });

  it("many documents in one stream validate in order", () => {
    fc.assert(
      fc.property(fc.array(manifestArb, { minLength: 1, maxLength: 6 }), (ms) => {
        const unique = ms.map((m, i) => ({ ...m, metadata: { ...m.metadata, name: `${m.metadata.name}-${i}` } }));
        const text = unique.map((m) => stringify(m)).join("---\n");
        const { resources, diagnostics } = validateObjects(parseManifests(text).objects);
        expect(diagnostics).toEqual([]);
        expect(resources.map((r) => `${r.kind}/${r.metadata.name}`)).toEqual(unique.map((m) => `${m.kind}/${m.metadata.name}`));
      }),
      { numRuns: 30 },
    );
  });
});
