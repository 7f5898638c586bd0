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

describe("arbitrary input", () => {
  const KINDS = ["Gateway", "GatewayClass", "ListenerSet", "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute", "ReferenceGrant", "BackendTLSPolicy", "Namespace", "Service", "EndpointSlice", "Secret", "ConfigMap"];
  const apiVersion = (kind: string) =>
    ["Namespace", "Service", "Secret", "ConfigMap"].includes(kind) ? "v1" : kind === "EndpointSlice" ? "discovery.k8s.io/v1" : "gateway.networking.k8s.io/v1";

  it("never throws: any JSON under a known kind is a result, valid or with issues", () => {
    fc.assert(
      fc.property(fc.constantFrom(...KINDS), fc.jsonValue(), fc.jsonValue(), (kind, spec, extra) => {
        const obj = { apiVersion: apiVersion(kind), kind, metadata: { name: "x", namespace: "ns" }, spec, data: extra, endpoints: extra };
        const { resource, issues } = validateObject(obj as ManifestObject);
        expect(resource === null ? issues.some((i) => i.severity === "error") : true).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on valid manifests with one field replaced by junk", () => {
    fc.assert(
      fc.property(manifestArb, fc.nat(), fc.jsonValue(), (m, pick, junk) => {
        const obj = clone(m) as Record<string, unknown>;
        const paths: (string | number)[][] = [];
        const walk = (v: unknown, at: (string | number)[]) => {
          if (at.length > 0 && at[0] !== "apiVersion" && at[0] !== "kind" && !(at[0] === "metadata" && at[1] === "name")) paths.push(at);
          if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i]));
          else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
        };
        walk(obj, []);
        const path = paths[pick % paths.length]!;
        const parent = path.slice(0, -1).reduce<any>((v, k) => v[k], obj);
        parent[path[path.length - 1]!] = junk;
        expect(() => validateObject(obj as ManifestObject)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});
