/** Nearest misses of a 404: their order for gRPC calls, and how patterns are shown and explained. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifests } from "../packages/core/src/manifest/parse.js";
import { buildWorld } from "../packages/core/src/world.js";
import { decide } from "../packages/core/src/decide/index.js";

const file = join(import.meta.dirname, "fixtures", "engineer", "canary.yaml");
const world = buildWorld(parseManifests(readFileSync(file, "utf8"), { file }).objects);

const misses = (explain: readonly string[] | undefined) => (explain ?? []).filter((l) => l.startsWith("nearest miss: ")).map((l) => l.slice("nearest miss: ".length));

describe("gRPC nearest misses", () => {
  it("rules for the called service come before a rule for another service", () => {
    const d = decide(world, { gateway: "prod/web", host: "rpc.corp.test", grpc: { service: "inventory.v1.Stock", method: "List" } }, { seed: 1, index: 0, explain: true });
    expect(d.grpcStatus).toBe(12);
    const m = misses(d.explain);
    expect(m).toHaveLength(3);
    // Both Stock rules (method Get; any method but header x-tenant) first, the billing pattern last.
    expect(m[0]).toMatch(/^GRPCRoute prod\/stock rule [01] /);
    expect(m[1]).toMatch(/^GRPCRoute prod\/stock rule [01] /);
    expect(m[2]).toMatch(/^GRPCRoute prod\/stock rule 2 /);
  });

  it("a regular expression is shown as written, its backslashes not doubled", () => {
    const d = decide(world, { gateway: "prod/web", host: "rpc.corp.test", grpc: { service: "inventory.v1.Stock", method: "List" } }, { seed: 1, index: 0, explain: true });
    const regexMiss = misses(d.explain).find((l) => l.includes("rule 2"))!;
    expect(regexMiss).toContain('service ~ "billing\\.v[0-9]+\\.Invoices" expected, got "inventory.v1.Stock"');
    // The matched line shows the same pattern the same way.
    const hit = decide(world, { gateway: "prod/web", host: "rpc.corp.test", grpc: { service: "billing.v2.Invoices", method: "Send" } }, { seed: 1, index: 0, explain: true });
    expect(hit.explain).toContain("matched GRPCRoute prod/stock rule 2 match 0: service ~ billing\\.v[0-9]+\\.Invoices, any method");
  });
});

describe("HTTP header and query patterns in nearest misses", () => {
  const { objects } = parseManifests(
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: ns }
spec:
  gatewayClassName: gc
  listeners: [{ name: http, port: 80, protocol: HTTP }]
---
apiVersion: v1
kind: Service
metadata: { name: svc, namespace: ns }
spec: { ports: [{ port: 80 }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r, namespace: ns }
spec:
  parentRefs: [{ name: gw }]
  rules:
  - matches:
    - path: { type: PathPrefix, value: /a }
      headers: [{ type: RegularExpression, name: x-build, value: "v\\\\d+\\\\.\\\\d+" }]
      queryParams: [{ type: RegularExpression, name: id, value: "\\\\d{3}" }]
    backendRefs: [{ name: svc, port: 80 }]
`,
    { file: "patterns.yaml" },
  );
  const w = buildWorld(objects);
  it("shows the pattern as written and the value received as JSON", () => {
    const d = decide(w, { gateway: "ns/gw", host: "x", path: "/a?id=12", headers: { "x-build": "beta" } }, { seed: 1, index: 0, explain: true });
    expect(misses(d.explain)).toEqual(['HTTPRoute ns/r rule 0 match 0: header x-build ~ "v\\d+\\.\\d+" expected, got "beta"; query param id ~ "\\d{3}" expected, got "12"']);
  });
});

describe("a RegularExpression path written without its leading /", () => {
  const { objects } = parseManifests(
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: ns }
spec:
  gatewayClassName: gc
  listeners: [{ name: http, port: 80, protocol: HTTP }]
---
apiVersion: v1
kind: Service
metadata: { name: svc, namespace: ns }
spec: { ports: [{ port: 80 }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r, namespace: ns }
spec:
  parentRefs: [{ name: gw }]
  rules:
  - matches: [{ path: { type: RegularExpression, value: "api/v[0-9]+/.*" } }]
    backendRefs: [{ name: svc, port: 80 }]
  - matches: [{ path: { type: RegularExpression, value: "/orders/[0-9]+" } }]
    backendRefs: [{ name: svc, port: 80 }]
`,
    { file: "slash.yaml" },
  );
  const w = buildWorld(objects);
  it.each([
    ["/api/v2/users", "rule 0", true],
    // A pattern with its / that misses for another reason gets no such hint.
    ["/orders/abc", "rule 1", false],
  ] as const)("%s: the %s miss says so: %s", (path, rule, hinted) => {
    const d = decide(w, { gateway: "ns/gw", host: "x", path }, { seed: 1, index: 0, explain: true });
    expect(d.status).toBe(404);
    const miss = misses(d.explain).find((l) => l.includes(rule))!;
    expect(miss.includes("it matches the path without its leading /")).toBe(hinted);
  });
});
