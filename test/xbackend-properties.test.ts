/**
 * Invariants of XBackend backends over random worlds: one HTTPRoute rule splitting traffic over
 * Services and XBackends (some missing, some in another namespace, some with a port or protocol
 * that does not fit, some not Accepted), checked against a reference written from the rules in
 * docs/decisions.md "XBackend":
 * - each backendRef is valid exactly when the reference says so, with the reference's reason;
 * - the split's probabilities are weight / total and sum to 1 when any weight is above 0;
 * - the picked backend has weight above 0, and an XBackend pick names its hostname and port;
 * - an XBackend's status.parents is non-empty exactly when a ref reached it;
 * - the document order changes nothing.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifests, statusOf } from "../packages/core/src/index.js";

interface XB {
  name: string;
  namespace: "app" | "other";
  port: number;
  protocol: "HTTP" | "H2C" | "TCP" | null;
  ip: boolean;
}
interface Ref {
  kind: "Service" | "XBackend";
  name: string;
  namespace: "app" | "other";
  port: number | null;
  weight: number;
}

const NAMES = ["a", "b", "c"] as const;

const xbArb: fc.Arbitrary<XB> = fc.record({
  name: fc.constantFrom(...NAMES),
  namespace: fc.constantFrom("app" as const, "other" as const),
  port: fc.constantFrom(443, 8080),
  protocol: fc.constantFrom("HTTP" as const, "H2C" as const, "TCP" as const, null),
  ip: fc.boolean(),
});
const refArb: fc.Arbitrary<Ref> = fc.record({
  kind: fc.constantFrom("Service" as const, "XBackend" as const),
  name: fc.constantFrom(...NAMES, "missing"),
  namespace: fc.constantFrom("app" as const, "other" as const),
  port: fc.constantFrom(443, 8080, null),
  weight: fc.integer({ min: 0, max: 5 }),
});
const worldArb = fc.record({
  xbackends: fc.uniqueArray(xbArb, { selector: (x) => `${x.namespace}/${x.name}`, maxLength: 5 }),
  refs: fc.array(refArb, { minLength: 1, maxLength: 5 }),
});

/** The two Services: app/a and app/b, port 8080. */
const SERVICES = ["a", "b"];

function docsOf(w: { xbackends: XB[]; refs: Ref[] }): string[] {
  const docs = [
    "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: gwsim}\nspec: {controllerName: gwsim.dev/simulator}",
    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: app}\nspec: {gatewayClassName: gwsim, listeners: [{name: http, port: 80, protocol: HTTP}]}",
    ...SERVICES.map((s) => `apiVersion: v1\nkind: Service\nmetadata: {name: ${s}, namespace: app}\nspec: {ports: [{port: 8080}]}`),
    ...w.xbackends.map(
      (x) =>
        `apiVersion: gateway.networking.x-k8s.io/v1alpha1\nkind: XBackend\nmetadata: {name: ${x.name}, namespace: ${x.namespace}}\n` +
        `spec: {type: ExternalHostname, port: {port: ${x.port}}, externalHostname: {hostname: ${x.ip ? "10.1.2.3" : `${x.name}.example.com`}}${x.protocol ? `, protocol: ${x.protocol}` : ""}}`,
    ),
  ];
  const refs = w.refs.map((r) =>
    r.kind === "Service"
      ? `{name: ${r.name}, namespace: ${r.namespace}, port: ${r.port ?? 8080}, weight: ${r.weight}}`
      : `{group: gateway.networking.x-k8s.io, kind: XBackend, name: ${r.name}, namespace: ${r.namespace}${r.port !== null ? `, port: ${r.port}` : ""}, weight: ${r.weight}}`,
  );
  docs.push(`apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: app}\nspec:\n  parentRefs: [{name: gw}]\n  rules:\n  - backendRefs: [${refs.join(", ")}]`);
  return docs;
}

/** What the reference expects of one backendRef: valid, or the reason it is not. */
function expected(w: { xbackends: XB[] }, r: Ref): { valid: boolean; reason: string | null; reached: boolean } {
  if (r.kind === "Service") {
    if (r.namespace !== "app") return { valid: false, reason: "RefNotPermitted", reached: false };
    if (!SERVICES.includes(r.name) || (r.port ?? 8080) !== 8080) return { valid: false, reason: "BackendNotFound", reached: false };
    return { valid: true, reason: null, reached: false };
  }
  if (r.namespace !== "app") return { valid: false, reason: "RefNotPermitted", reached: false };
  const x = w.xbackends.find((b) => b.namespace === "app" && b.name === r.name);
  if (!x) return { valid: false, reason: "BackendNotFound", reached: false };
  if (r.port !== null && r.port !== x.port) return { valid: false, reason: "BackendNotFound", reached: false };
  if (x.protocol === "TCP") return { valid: false, reason: "UnsupportedProtocol", reached: false };
  if (x.ip) return { valid: false, reason: "InvalidXBackend", reached: true };
  return { valid: true, reason: null, reached: true };
}

function build(docs: readonly string[]) {
  const parsed = parseManifests(docs.join("\n---\n"), { file: "world.yaml" });
  const world = buildWorld(parsed.objects);
  expect(world.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return world;
}

const REQUEST = { gateway: "app/gw", host: "x.test", path: "/" };

describe("XBackend properties", () => {
  it("each ref is valid or not exactly as the rules say; the split and the pick agree with the weights", () => {
    fc.assert(
      fc.property(worldArb, fc.nat(1000), (w, index) => {
        const world = build(docsOf(w));
        const d = decide(world, REQUEST, { seed: 7, index });
        expect(d.backends).toHaveLength(w.refs.length);
        const total = w.refs.reduce((s, r) => s + r.weight, 0);
        d.backends.forEach((b, i) => {
          const want = expected(w, w.refs[i]!);
          expect({ valid: b.valid, reason: b.reason }).toEqual({ valid: want.valid, reason: want.reason });
          expect(b.probability).toBeCloseTo(total > 0 ? w.refs[i]!.weight / total : 0, 12);
        });
        if (total > 0) {
          expect(d.backends.reduce((s, b) => s + b.probability, 0)).toBeCloseTo(1, 12);
          // Equal refs may repeat with other weights: the pick is one of them with weight.
          const i = d.backends.findIndex((b) => b.kind === d.backend?.kind && b.namespace === d.backend.namespace && b.name === d.backend.name && b.port === d.backend.port && b.weight > 0);
          expect(i).toBeGreaterThanOrEqual(0);
          expect(d.status).toBe(d.backends[i]!.valid ? null : 500);
          if (d.backend?.kind === "XBackend" && d.backends[i]!.valid) {
            const x = w.xbackends.find((b) => b.namespace === "app" && b.name === d.backend!.name)!;
            expect(d.backend).toMatchObject({ hostname: `${x.name}.example.com`, port: x.port, protocol: x.protocol, tls: null });
          }
        } else {
          expect(d.status).toBe(500);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("an XBackend has status.parents exactly when a ref reached it", () => {
    fc.assert(
      fc.property(worldArb, (w) => {
        const items = statusOf(build(docsOf(w))).items.filter((i) => i.kind === "XBackend");
        expect(items).toHaveLength(w.xbackends.length);
        for (const item of items) {
          const reached = w.refs.some((r) => r.kind === "XBackend" && r.name === item.metadata.name && item.metadata.namespace === "app" && expected(w, r).reached);
          const parents = (item.status as { parents?: { conditions: { type: string; status: string }[] }[] }).parents;
          expect(parents !== undefined, `${item.metadata.namespace}/${item.metadata.name}`).toBe(reached);
          const ip = w.xbackends.find((x) => x.namespace === item.metadata.namespace && x.name === item.metadata.name)!.ip;
          for (const p of parents ?? []) expect(p.conditions).toEqual([expect.objectContaining({ type: "Accepted", status: ip ? "False" : "True" })]);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("the order of the documents changes neither decisions nor status", () => {
    fc.assert(
      fc.property(
        worldArb.chain((w) => fc.tuple(fc.constant(w), fc.shuffledSubarray(docsOf(w), { minLength: docsOf(w).length }))),
        fc.nat(1000),
        ([w, shuffled], index) => {
          const a = build(docsOf(w));
          const b = build(shuffled);
          expect(statusOf(b)).toEqual(statusOf(a));
          expect(decide(b, REQUEST, { seed: 3, index })).toEqual(decide(a, REQUEST, { seed: 3, index }));
        },
      ),
      { numRuns: 60 },
    );
  });
});
