import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildGraph } from "../../../../test/http-graph.js";
import { buildGrpcGraph, buildTlsGraph } from "../../../../test/arbitraries-grpc-tls.js";
import { compareHostSpecificity, hostMatches, intersectHostname } from "./hostname.js";
import { compile, prefixKey } from "./index.js";
import { comparePrecedence, precedenceReason, PRECEDENCE_STEPS, GRPC_PRECEDENCE_STEPS, STREAM_PRECEDENCE_STEPS, type PrecedenceKey } from "./precedence.js";

const key = fc.record({
  hostname: fc.constantFrom("*", "*.example.com", "*.a.example.com", "a.example.com", "example.com"),
  pathType: fc.constantFrom("Exact", "PathPrefix", "RegularExpression"),
  pathValue: fc.constantFrom("/", "/a", "/a/", "/a/b", "/ab"),
  method: fc.constantFrom(null, "GET"),
  headers: fc.nat(3),
  queryParams: fc.nat(3),
  createdMs: fc.constantFrom(null, 0, 1000),
  creationTimestamp: fc.constant(null),
  nsName: fc.constantFrom("team/r", "team-a/r", "a/b"),
  ruleIndex: fc.nat(3),
  matchIndex: fc.nat(3),
}) as fc.Arbitrary<PrecedenceKey>;

describe("the precedence comparator is a total order", () => {
  it("antisymmetric and transitive; equal only for equal keys", () => {
    fc.assert(
      fc.property(key, key, key, (a, b, c) => {
        expect(Math.sign(comparePrecedence(a, b))).toBe(-Math.sign(comparePrecedence(b, a)) || 0);
        if (comparePrecedence(a, b) <= 0 && comparePrecedence(b, c) <= 0) expect(comparePrecedence(a, c)).toBeLessThanOrEqual(0);
        if (comparePrecedence(a, b) === 0) {
          // Ties end on (namespace/name, rule, match): only the same match of the same route ties.
          const identity = (k: PrecedenceKey) => [k.hostname, k.pathType, k.nsName, k.ruleIndex, k.matchIndex];
          expect(identity(a)).toEqual(identity(b));
        }
      }),
      { numRuns: 3000 },
    );
  });
  it("names the deciding step for every winner", () => {
    fc.assert(
      fc.property(key, key, (a, b) => {
        const c = comparePrecedence(a, b);
        if (c < 0) expect(precedenceReason(a, b)).not.toBeNull();
        if (c > 0) expect(precedenceReason(a, b)).toBeNull();
      }),
    );
  });
  it("lists the spec's steps in the spec's order", () => {
    expect(PRECEDENCE_STEPS.map((s) => s.name)).toEqual([
      "hostname",
      "path type",
      "path length",
      "method",
      "headers",
      "query params",
      "age",
      "namespace/name",
      "rule order",
      "match order",
    ]);
  });
});

describe("hostnames", () => {
  it.each([
    ["*.example.com", "a.example.com", true],
    ["*.example.com", "a.b.example.com", true],
    ["*.example.com", "example.com", false],
    ["*.example.com", ".example.com", false],
    ["example.com", "example.com", true],
    ["*", "anything", true],
  ])("%s matches %s: %s", (pattern, host, want) => {
    expect(hostMatches(pattern, host)).toBe(want);
  });
  it.each([
    ["www.example.com", "www.example.com", "www.example.com"],
    ["www.example.com", "*.example.com", "www.example.com"],
    ["*.example.com", "www.example.com", "www.example.com"],
    ["*.example.com", "*.example.com", "*.example.com"],
    ["*.example.com", "*.com", "*.example.com"],
    ["*.com", "*.example.com", "*.example.com"],
    ["www.example.com", null, "www.example.com"],
    ["example.com", "*.example.com", null],
    ["a.example.net", "*.example.com", null],
  ])("route %s ∩ listener %s = %s (hostnames concept page table)", (route, listener, want) => {
    expect(intersectHostname(route, listener)).toBe(want);
  });
  it("orders precise, then longer wildcards, then *", () => {
    expect(["*", "*.com", "a.example.com", "*.example.com"].sort(compareHostSpecificity)).toEqual(["a.example.com", "*.example.com", "*.com", "*"]);
  });
  it("prefix keys drop one trailing slash", () => {
    expect([prefixKey("/"), prefixKey("/a/"), prefixKey("/a")]).toEqual(["", "/a", "/a"]);
  });
});

describe("compile", () => {
  const graph = buildGraph({
    gateways: [
      {
        gateway: "infra/gw",
        listeners: [{ name: "http", hostname: "*.example.com" }, { name: "down", port: 81, ready: false }],
      },
    ],
    routes: [
      { route: "ns/b", hostnames: ["a.example.com"], parents: [{ gateway: "infra/gw" }], rules: [{ matches: [{ path: { value: "/x" } }, { path: { type: "Exact", value: "/y" } }], backends: [{ name: "s", weight: 3 }, { name: "t", weight: 1 }] }] },
      { route: "ns/a", parents: [{ gateway: "infra/gw" }], rules: [{ matches: [{ path: { value: "/x/" } }] }] },
    ],
  });
  graph.routes.push({ kind: "GRPCRoute", namespace: "ns", name: "g", creationTimestamp: null, generation: 1, hostnames: [], rules: [] });
  graph.attachments.push({ route: 2, listener: "gateway/infra/gw/listener/http", parentRefIndex: 0, hostnames: [] });
  const table = compile(graph);

  it("gives every entry a stable id", () => {
    expect(table.routes.map((r) => r.id)).toEqual(["httproute/ns/b", "httproute/ns/a"]);
    expect(table.rules.map((r) => r.id)).toEqual(["httproute/ns/b/rule/0", "httproute/ns/a/rule/0"]);
    expect(table.matches.map((m) => m.id)).toEqual(["httproute/ns/b/rule/0/match/0", "httproute/ns/b/rule/0/match/1", "httproute/ns/a/rule/0/match/0"]);
  });
  it("is frozen and survives JSON unchanged", () => {
    expect(Object.isFrozen(table)).toBe(true);
    expect(Object.isFrozen(table.listeners[0]!.groups[0]!.order)).toBe(true);
    expect(JSON.parse(JSON.stringify(table))).toEqual(JSON.parse(JSON.stringify(compile(graph))));
  });
  it("does not freeze the graph it was given", () => {
    expect(Object.isFrozen(graph.routes[0]!.rules[0]!.filters)).toBe(false);
  });
  it("groups routes by intersected hostname, most specific first, sorted by precedence", () => {
    const l = table.listeners[0]!;
    expect(l.groups.map((g) => g.hostname)).toEqual(["a.example.com", "*.example.com"]);
    expect(l.groups[0]!.order.map((i) => table.matches[i]!.id)).toEqual(["httproute/ns/b/rule/0/match/1", "httproute/ns/b/rule/0/match/0"]);
    expect(l.groups[0]!.exactPaths).toEqual({ "/y": [1] });
    expect(l.groups[1]!.prefixes).toEqual({ "/x": [2] });
    expect(l.hosts).toEqual({ exact: { "a.example.com": 0 }, wildcard: { ".example.com": 1 }, any: null });
  });
  it("keeps exact shares and only HTTPRoutes", () => {
    expect(table.rules[0]!.backends.map((b) => b.probability)).toEqual([0.75, 0.25]);
    expect(table.routes.some((r) => r.kind === "GRPCRoute")).toBe(false);
  });
  it("indexes only programmed listeners for traffic", () => {
    expect(table.gateways["infra/gw"]!.ports["81"]!.protocols.HTTP).toEqual({ exact: {}, wildcard: {}, any: null });
    expect(table.gateways["infra/gw"]!.ports["81"]!.listeners).toEqual([1]);
  });
});

describe("compile: GRPCRoutes, stream routes and mesh bindings", () => {
  const grpcGraph = buildGrpcGraph({
    listeners: [{ name: "l0", hostname: null }],
    routes: [
      {
        route: "ns/g",
        created: "2024-01-01T00:00:00Z",
        hostnames: ["a.example.com"],
        rules: [
          { matches: [{ method: { type: "Exact", service: "pkg.Svc", method: null }, headers: [] }], backends: [{ name: "v1", weight: 1, valid: true }] },
          { matches: [{ method: { type: "Exact", service: "pkg.Svc", method: "Get" }, headers: [] }, { method: null, headers: [{ type: "Exact", name: "X", value: "1" }, { type: "Exact", name: "x", value: "2" }] }], backends: [{ name: "v2", weight: 1, valid: true }] },
        ],
      },
    ],
  });
  const table = compile(grpcGraph);

  it("keeps GRPCRoutes in their own arrays with stable ids", () => {
    expect(table.routes).toEqual([]);
    expect(table.grpcRoutes.map((r) => r.id)).toEqual(["grpcroute/ns/g"]);
    expect(table.grpcMatches.map((m) => m.id)).toEqual(["grpcroute/ns/g/rule/0/match/0", "grpcroute/ns/g/rule/1/match/0", "grpcroute/ns/g/rule/1/match/1"]);
  });
  it("drops repeated header names (case-insensitively) and orders a hostname's matches by GRPCRoute precedence", () => {
    expect(table.grpcMatches[2]!.headers).toEqual([{ type: "Exact", name: "x", value: "1" }]);
    const l = table.listeners[0]!;
    expect(l.grpc.groups.map((g) => g.hostname)).toEqual(["a.example.com"]);
    // service+method (7+3) before service only (7+0) before headers only (0+0, 1 header)
    expect(l.grpc.groups[0]!.order.map((mi) => table.grpcMatches[mi]!.id)).toEqual(["grpcroute/ns/g/rule/1/match/0", "grpcroute/ns/g/rule/0/match/0", "grpcroute/ns/g/rule/1/match/1"]);
    expect(l.grpc.hosts).toEqual({ exact: { "a.example.com": 0 }, wildcard: {}, any: null });
  });
  it("lists the GRPCRoute steps in the GRPCRouteRule doc comment's order", () => {
    expect(GRPC_PRECEDENCE_STEPS.map((s) => s.name)).toEqual(["hostname", "service", "method", "headers", "age", "namespace/name", "rule order", "match order"]);
  });

  it("orders stream routes of one SNI hostname oldest first, then by namespace/name", () => {
    const t = compile(
      buildTlsGraph({
        listeners: [{ name: "tls0", protocol: "TLS", hostname: null }],
        routes: [
          { route: "b/r", created: null, hostnames: ["db.example.com"], backends: [{ name: "v1", weight: 1, valid: true }] },
          { route: "a/r", created: null, hostnames: ["db.example.com"], backends: [{ name: "v1", weight: 1, valid: true }] },
          { route: "c/r", created: "2020-01-01T00:00:00Z", hostnames: ["db.example.com", "*.example.com"], backends: [{ name: "v1", weight: 1, valid: true }] },
        ],
      }),
    );
    const l = t.listeners[0]!;
    expect(l.streams.groups.map((g) => [g.hostname, g.routes.map((ri) => `${t.streamRoutes[ri]!.namespace}/${t.streamRoutes[ri]!.name}`)])).toEqual([
      ["db.example.com", ["c/r", "a/r", "b/r"]],
      ["*.example.com", ["c/r"]],
    ]);
    expect(STREAM_PRECEDENCE_STEPS.map((s) => s.name)).toEqual(["hostname", "age", "namespace/name"]);
  });

  it("binds mesh routes per Service port and caller role, one route kind per port", () => {
    const svc = { namespace: "mesh", name: "echo", clusterIP: "10.0.0.1", type: "ClusterIP", externalName: null, ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP", appProtocol: null }, { name: "dns", port: 53, targetPort: 53, protocol: "UDP", appProtocol: null }] };
    const route = (kind: "HTTPRoute" | "GRPCRoute" | "TCPRoute", namespace: string, name: string) => ({
      kind,
      namespace,
      name,
      creationTimestamp: null,
      generation: 1,
      hostnames: ["ignored.example"],
      rules: [{ index: 0, name: null, matches: [], filters: [], backends: [], timeouts: null, retry: null, sessionPersistence: null }],
    });
    const t = compile({
      listeners: [],
      routes: [route("HTTPRoute", "mesh", "web"), route("GRPCRoute", "mesh", "rpc"), route("HTTPRoute", "consumer", "mine"), route("TCPRoute", "mesh", "raw")],
      attachments: [],
      meshAttachments: [
        { route: 0, service: { namespace: "mesh", name: "echo" }, port: null, parentRefIndex: 0 },
        { route: 1, service: { namespace: "mesh", name: "echo" }, port: 80, parentRefIndex: 0 },
        { route: 2, service: { namespace: "mesh", name: "echo" }, port: 80, parentRefIndex: 0 },
        { route: 3, service: { namespace: "mesh", name: "echo" }, port: null, parentRefIndex: 0 },
      ],
      services: [svc],
      backendTLSPolicies: [],
      status: [],
    });
    const m = t.mesh.services["mesh/echo"]!;
    expect(t.mesh.addresses).toEqual({ "10.0.0.1": "mesh/echo" });
    // UDP ports take no mesh route
    expect(Object.keys(m.bindings)).toEqual(["80"]);
    const producer = m.bindings["80"]!.producer!;
    expect(producer.kind).toBe("GRPCRoute");
    expect(producer.ignored).toEqual([
      { kind: "HTTPRoute", namespace: "mesh", name: "web" },
      { kind: "TCPRoute", namespace: "mesh", name: "raw" },
    ]);
    // hostnames are not used: everything under `*`
    expect(producer.grpc!.hostname).toBe("*");
    expect(m.bindings["80"]!.consumers["consumer"]!.kind).toBe("HTTPRoute");
    expect(m.bindings["80"]!.consumers["consumer"]!.http!.hostname).toBe("*");
  });

  it("never matches the matches of a rule resolve dropped", () => {
    const g = buildGraph({
      gateways: [{ gateway: "infra/gw", listeners: [{ name: "http" }] }],
      routes: [{ route: "ns/r", parents: [{ gateway: "infra/gw" }], rules: [{ matches: [{ path: { value: "/a" } }] }, { matches: [{ path: { value: "/b" } }] }] }],
    });
    (g.routes[0]!.rules[0] as { invalid?: unknown }).invalid = { reason: "UnsupportedValue", message: "rule 0: bad" };
    const t = compile(g);
    expect(t.matches[0]!.never).toBe("rule dropped: rule 0: bad");
    expect(t.rules[0]!.dropped).toBe("rule 0: bad");
    expect(t.listeners[0]!.groups[0]!.prefixes).toEqual({ "/b": [1] });
  });
});
