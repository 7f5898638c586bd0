/**
 * Each property helper finds a counterexample planted in a world built to contain one, returns
 * it shrunk, and passes on the same world without the plant.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GatewayRequest } from "../model/request.js";
import { compile } from "../compile/index.js";
import type { Graph } from "../resolve/graph.js";
import type { World } from "../world.js";
import { alwaysRoutes, formatCounterexample, isolated, neverRoutes, sameRouting } from "./properties.js";
import { worldFrom } from "./world-from.js";

const BASE = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gw}
spec: {controllerName: example.com/gw}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: gw
  listeners:
  - {name: http, protocol: HTTP, port: 80, hostname: "*.example.com", allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: api}
spec: {ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: debug, namespace: legacy}
spec: {ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: admin, namespace: api}
spec: {ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: api}
spec: {ports: [{port: 8080}]}
`;

const route = (rules: string) => `
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api, namespace: api, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: edge, namespace: infra}]
  hostnames: [api.example.com]
  rules:
${rules}`;

const ADMIN_RULES = `
  - matches: [{path: {type: PathPrefix, value: /admin}}]
    backendRefs: [{name: admin, port: 8080}]
  - backendRefs: [{name: api, port: 8080}]`;

const DEBUG_RULE = `
  - matches: [{path: {type: PathPrefix, value: /v1}, headers: [{name: x-debug, value: "on"}]}]
    backendRefs: [{name: debug, namespace: legacy, port: 8080}]`;

const GRANT = `
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: api-routes, namespace: legacy}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: api}]
  to: [{group: "", kind: Service}]`;

const OPTS = { seed: 42, numRuns: 2000 };

describe("neverRoutes", () => {
  it("finds the one header value that reaches the legacy namespace, shrunk to just that header", () => {
    const world = worldFrom(BASE + route(ADMIN_RULES + DEBUG_RULE) + GRANT);
    const c = neverRoutes(world, { host: "api.example.com" }, "legacy/*", OPTS);
    expect(c).not.toBeNull();
    expect(c!.decision.backends.some((b) => b.namespace === "legacy" && b.valid)).toBe(true);
    const headers = Object.fromEntries(Object.entries(c!.request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    expect(headers).toEqual({ "x-debug": "on" });
    expect(c!.request.path?.split("?")[0]).toBe("/v1");
    expect(formatCounterexample(c!)).toMatch(/neverRoutes fails for .*x-debug[\s\S]*gwsim|legacy\/debug/);
  });

  it("passes without the debug rule, and when the grant is missing (the backend answers 500, reaching nothing)", () => {
    expect(neverRoutes(worldFrom(BASE + route(ADMIN_RULES) + GRANT), { host: "api.example.com" }, "legacy/*", OPTS)).toBeNull();
    expect(neverRoutes(worldFrom(BASE + route(ADMIN_RULES + DEBUG_RULE)), { host: "api.example.com" }, "legacy/*", OPTS)).toBeNull();
  });
});

describe("alwaysRoutes", () => {
  const LOGIN = `
  - matches: [{path: {type: Exact, value: /admin/login}}]
    backendRefs: [{name: web, port: 8080}]`;

  it("finds the exact path under /admin that goes elsewhere", () => {
    const world = worldFrom(BASE + route(ADMIN_RULES + LOGIN));
    const c = alwaysRoutes(world, { host: "api.example.com", path: "/admin" }, "api/admin", OPTS);
    expect(c).not.toBeNull();
    expect(c!.decision.backend?.name).toBe("web");
    expect(c!.reason).toContain("api/web");
  });

  it("passes when everything under /admin goes to admin; /administrator is not under /admin", () => {
    const world = worldFrom(BASE + route(ADMIN_RULES));
    expect(alwaysRoutes(world, { host: "api.example.com", path: "/admin" }, "api/admin", OPTS)).toBeNull();
    // The near miss /adminx is generated, and is not admin's.
    expect(alwaysRoutes(world, { host: "api.example.com" }, "api/admin", OPTS)).not.toBeNull();
  });

  it("counts a 404 as not routed", () => {
    const world = worldFrom(BASE + route(ADMIN_RULES));
    const c = alwaysRoutes(world, { path: "/admin" }, "api/admin", OPTS);
    expect(c).not.toBeNull();
    expect(c!.decision.outcome).not.toBe("forward");
  });
});

describe("isolated", () => {
  it("passes when the cross-namespace backend is granted, and when it is not (gwsim refuses it: 500)", () => {
    expect(isolated(worldFrom(BASE + route(ADMIN_RULES + DEBUG_RULE) + GRANT), OPTS)).toBeNull();
    expect(isolated(worldFrom(BASE + route(ADMIN_RULES + DEBUG_RULE)), OPTS)).toBeNull();
  });

  it("finds the leak in a world whose data plane ignores ReferenceGrants", () => {
    const honest = worldFrom(BASE + route(ADMIN_RULES + DEBUG_RULE));
    const graph = structuredClone(honest.graph) as Graph;
    for (const r of graph.routes) for (const rule of r.rules) for (const b of rule.backends) if (b.reason === "RefNotPermitted") Object.assign(b, { valid: true, reason: null, message: null });
    const leaky: World = { graph, table: compile(graph), diagnostics: [], options: {}, objects: [] };
    const c = isolated(leaky, { ...OPTS, objects: honest.objects });
    expect(c).not.toBeNull();
    expect(c!.reason).toContain("no ReferenceGrant in legacy");
    expect(JSON.stringify(c!.request.headers ?? {}).toLowerCase()).toContain("x-debug");
  });

  it("without objects every cross-namespace backend is a violation", () => {
    const world = worldFrom(BASE + route(ADMIN_RULES + DEBUG_RULE) + GRANT);
    const bare: World = { graph: world.graph, table: world.table, diagnostics: [], options: {}, objects: [] };
    expect(isolated(bare, OPTS)).not.toBeNull();
  });
});

describe("sameRouting", () => {
  const SPLIT_ROUTES = `
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: admin, namespace: api}
spec:
  parentRefs: [{name: edge, namespace: infra}]
  hostnames: [api.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /admin/}}]
    backendRefs: [{name: admin, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: rest, namespace: api}
spec:
  parentRefs: [{name: edge, namespace: infra}]
  hostnames: [api.example.com]
  rules:
  - backendRefs: [{name: api, port: 8080}]`;

  it("a refactor into two routes routes the same", () => {
    expect(sameRouting(worldFrom(BASE + route(ADMIN_RULES)), worldFrom(BASE + SPLIT_ROUTES), [], OPTS)).toBeNull();
  });

  it("finds the request a changed rule moves, and accepts it when excepted", () => {
    const before = worldFrom(BASE + route(ADMIN_RULES));
    const after = worldFrom(BASE + route(ADMIN_RULES + `
  - matches: [{path: {type: PathPrefix, value: /admin/reports}}]
    backendRefs: [{name: web, port: 8080}]`));
    const c = sameRouting(before, after, [], OPTS);
    expect(c).not.toBeNull();
    expect(c!.request.path).toMatch(/reports/i);
    expect(c!.other?.backend?.name).toBe("web");
    expect(sameRouting(before, after, { path: "/admin/reports" }, OPTS)).toBeNull();
  });

  it("compares the split's probabilities (a canary weight change is a difference)", () => {
    const canary = (w: number) => worldFrom(BASE + route(`
  - backendRefs: [{name: api, port: 8080, weight: ${100 - w}}, {name: web, port: 8080, weight: ${w}}]`));
    expect(sameRouting(canary(10), canary(10), [], OPTS)).toBeNull();
    expect(sameRouting(canary(10), canary(20), [], OPTS)?.reason).toMatch(/split/);
  });

  it("says the difference as a sentence, each world's fate named", () => {
    const canary = (w: number) => worldFrom(BASE + route(`
  - backendRefs: [{name: api, port: 8080, weight: ${100 - w}}, {name: web, port: 8080, weight: ${w}}]`));
    expect(sameRouting(canary(10), canary(20), [], OPTS)?.reason).toBe("is split api/api:8080 90%, api/web:8080 10% in the first world, but api/api:8080 80%, api/web:8080 20% in the second");
    const only = worldFrom(BASE + route(`
  - matches: [{path: {type: Exact, value: /brand-new}}]
    backendRefs: [{name: api, port: 8080}]`));
    const c = sameRouting(worldFrom(BASE), only, [], OPTS);
    expect(c?.reason).toMatch(/^is (answered notFound 404 \(\w+\)|rejected \(\w+\)) in the first world, but forwarded to api\/api:8080 100% in the second$/);
    expect(formatCounterexample(c!)).toContain(`  it ${c!.reason}`);
  });
});

describe("patterns and custom requests", () => {
  const world = worldFrom(BASE + route(ADMIN_RULES));

  it("a pattern path is compared normalized; a relative one is a usage error", () => {
    expect(alwaysRoutes(world, { host: "api.example.com", path: "/%61dmin" }, "api/admin", OPTS)).toBeNull();
    expect(() => alwaysRoutes(world, { path: "admin" }, "api/admin", OPTS)).toThrow(/must be an absolute path/);
  });

  it("the caller's requests are used, those outside the pattern skipped", () => {
    const mine = fc.constantFrom<GatewayRequest>(
      { gateway: "infra/edge", host: "api.example.com", path: "/admin/users" },
      { gateway: "infra/edge", host: "api.example.com", path: "/other" },
    );
    expect(alwaysRoutes(world, { path: "/admin" }, "api/admin", { ...OPTS, requests: mine })).toBeNull();
    const c = neverRoutes(world, {}, "api/api", { ...OPTS, requests: mine });
    expect(c?.request.path).toBe("/other");
  });
});
