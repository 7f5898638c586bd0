/**
 * The compiled table (compile + decide) against the naive reference matcher, on generated
 * worlds that overlap on purpose; plus the invariants of decisions.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../packages/core/src/compile/index.js";
import { parseManifestFiles } from "../packages/core/src/manifest/parse.js";
import { buildWorld } from "../packages/core/src/world.js";
import { decide } from "../packages/core/src/decide/index.js";
import type { Decision } from "../packages/core/src/model/decision.js";
import type { GatewayRequest } from "../packages/core/src/model/request.js";
import { buildGraph } from "./http-graph.js";
import { referenceDecide, type RefDecision } from "./reference-matcher.js";
import { httpRequest, worldSpec } from "./arbitraries-http.js";
import { buildGrpcGraph, buildTlsGraph, grpcRequest, grpcWorldSpec, tlsRequest, tlsWorldSpec } from "./arbitraries-grpc-tls.js";
import { leanPart } from "./scenario-runner.js";
import { referenceGrpc, referenceTls, type KindRefDecision } from "./reference-matcher-grpc-tls.js";

/** The fields both matchers decide, in the reference's shape. */
function project(d: Decision): RefDecision {
  const matched = d.route !== null;
  const probabilities: Record<string, number> = {};
  for (const b of d.backends) probabilities[b.name] = (probabilities[b.name] ?? 0) + b.probability;
  return {
    outcome: matched ? "matched" : (d.outcome as RefDecision["outcome"]),
    status: matched ? null : d.status,
    listener: d.listener?.name ?? null,
    route: matched ? `${d.route!.namespace}/${d.route!.name}` : null,
    rule: d.route?.rule ?? null,
    match: d.route?.match ?? null,
    probabilities: matched ? probabilities : null,
  };
}

// Thousands of worlds for the differential check; FC_NUM_RUNS scales every property here.
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 300);
const WORLDS = NUM_RUNS * 5;

describe("compiled table agrees with the naive reference matcher", () => {
  for (const hostnameFallthrough of [false, true]) {
    it(`hostnameFallthrough=${hostnameFallthrough}: same listener, route, rule, match, split`, () => {
      fc.assert(
        fc.property(worldSpec, fc.array(httpRequest, { minLength: 1, maxLength: 12 }), (spec, requests) => {
          const graph = buildGraph(spec);
          const world = { table: compile(graph) };
          for (const r of requests) {
            const got = project(decide(world, r as GatewayRequest, { hostnameFallthrough }));
            const want = referenceDecide(graph, r, { hostnameFallthrough });
            expect(got, JSON.stringify(r)).toEqual(want);
          }
        }),
        { numRuns: WORLDS },
      );
    });
  }
});

/** The GRPCRoute/TLSRoute fields both sides decide; an HTTPS listener picked by SNI shows as "https". */
function projectKind(d: Decision): KindRefDecision {
  const viaHttps = d.route === null && d.listener !== null && d.listener.name.startsWith("https");
  const base = project(d);
  return { ...base, outcome: viaHttps ? "https" : base.outcome === "error" && d.status === null ? "reject" : (base.outcome as KindRefDecision["outcome"]), status: viaHttps ? null : base.status };
}

describe("GRPCRoute precedence: compiled table agrees with the naive reference", () => {
  it("same listener, route, rule, match, split", () => {
    fc.assert(
      fc.property(grpcWorldSpec, fc.array(grpcRequest, { minLength: 1, maxLength: 12 }), (spec, requests) => {
        const graph = buildGrpcGraph(spec);
        const world = { table: compile(graph) };
        for (const r of requests) {
          const d = decide(world, r as GatewayRequest);
          expect(projectKind(d), JSON.stringify(r)).toEqual(referenceGrpc(graph, r));
          // every gRPC call the gateway answers itself carries a gRPC status
          if (d.outcome === "notFound") expect(d.grpcStatus).toBe(12);
        }
      }),
      { numRuns: WORLDS },
    );
  });
});

describe("TLS SNI selection: compiled table agrees with the naive reference", () => {
  it("same listener (TLS or HTTPS), TLSRoute and split", () => {
    fc.assert(
      fc.property(tlsWorldSpec, fc.array(tlsRequest, { minLength: 1, maxLength: 12 }), (spec, requests) => {
        const graph = buildTlsGraph(spec);
        const world = { table: compile(graph) };
        for (const r of requests) {
          const d = decide(world, r as GatewayRequest);
          expect(projectKind(d), JSON.stringify(r)).toEqual(referenceTls(graph, r));
          if (d.route !== null) expect(d.forwarded).toBeNull();
        }
      }),
      { numRuns: WORLDS },
    );
  });
});

describe("decision invariants", () => {
  it("backends probabilities equal weight/total and sum to 1 when any weight is above 0", () => {
    fc.assert(
      fc.property(worldSpec, httpRequest, (spec, r) => {
        const d = decide({ table: compile(buildGraph(spec)) }, r as GatewayRequest);
        const total = d.backends.reduce((s, b) => s + b.weight, 0);
        if (total > 0) {
          expect(d.backends.reduce((s, b) => s + b.probability, 0)).toBeCloseTo(1, 12);
          for (const b of d.backends) expect(b.probability).toBe(b.weight / total);
        } else {
          for (const b of d.backends) expect(b.probability).toBe(0);
        }
        if (d.backend) {
          const picked = d.backends.filter((b) => b.name === d.backend!.name && b.namespace === d.backend!.namespace);
          expect(picked.some((b) => b.weight > 0)).toBe(true);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("a lean decision has the full decision's outcome, route, backends, pick, filters' effects", () => {
    fc.assert(
      fc.property(worldSpec, fc.array(httpRequest, { minLength: 1, maxLength: 8 }), fc.integer(), fc.nat(), (spec, requests, seed, index) => {
        const world = { table: compile(buildGraph(spec)) };
        for (const r of requests) {
          const full = decide(world, r as GatewayRequest, { seed, index });
          const lean = decide(world, r as GatewayRequest, { seed, index, lean: true });
          expect(leanPart(lean), JSON.stringify(r)).toEqual(leanPart(full));
          expect([lean.forwarded, lean.timeouts, lean.retry, lean.backendTLS]).toEqual([null, null, null, null]);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("same (world, request, seed, index) gives the same decision; the table survives JSON", () => {
    fc.assert(
      fc.property(worldSpec, httpRequest, fc.integer(), fc.nat(), (spec, r, seed, index) => {
        const graph = buildGraph(spec);
        const table = compile(graph);
        const again = compile(graph);
        expect(JSON.stringify(again)).toBe(JSON.stringify(table));
        const fromJson = JSON.parse(JSON.stringify(table)) as typeof table;
        const opts = { seed, index, explain: true };
        const d1 = decide({ table }, r as GatewayRequest, opts);
        expect(decide({ table }, r as GatewayRequest, opts)).toEqual(d1);
        expect(decide({ table: again }, r as GatewayRequest, opts)).toEqual(d1);
        expect(decide({ table: fromJson }, r as GatewayRequest, opts)).toEqual(d1);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("shuffling the routes of the graph changes no decision", () => {
    fc.assert(
      fc.property(worldSpec, fc.array(httpRequest, { minLength: 1, maxLength: 6 }), fc.integer(), (spec, requests, seed) => {
        const reversed = { ...spec, routes: [...spec.routes].reverse() };
        const a = { table: compile(buildGraph(spec)) };
        const b = { table: compile(buildGraph(reversed)) };
        for (const r of requests) {
          const da = decide(a, r as GatewayRequest, { seed });
          const db = decide(b, r as GatewayRequest, { seed });
          expect(db).toEqual(da);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("decide never throws, whatever the request holds", () => {
    const table = compile(
      buildGraph({
        gateways: [
          {
            gateway: "infra/gw",
            listeners: [
              { name: "http" },
              { name: "https", protocol: "HTTPS", hostname: "*.example.com" },
              { name: "mtls", protocol: "HTTPS", port: 8443, frontendCAs: ["-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----"] },
            ],
          },
        ],
        routes: [
          {
            route: "infra/r",
            parents: [{ gateway: "infra/gw" }],
            rules: [
              { matches: [{ path: { type: "RegularExpression", value: "/a/.*" }, headers: [{ name: "x", value: "1" }], queryParams: [{ name: "q", value: "1" }] }], backends: [{ name: "a" }, { name: "b", valid: false }] },
              { backends: [{ name: "c" }] },
            ],
          },
        ],
      }),
    );
    const anyString = fc.string({ unit: "binary", maxLength: 40 });
    const wild = fc.record(
      {
        gateway: fc.oneof(fc.constant("infra/gw"), anyString, fc.anything()),
        scheme: fc.oneof(fc.constantFrom("http", "https", "tls", "tcp", "udp", "HTTP"), fc.anything()),
        port: fc.oneof(fc.constantFrom(80, 443, 8443), fc.integer(), fc.double(), fc.anything()),
        host: fc.oneof(anyString, fc.anything()),
        sni: fc.oneof(anyString, fc.anything()),
        method: fc.oneof(anyString, fc.anything()),
        path: fc.oneof(anyString.map((s) => `/${s}`), anyString, fc.anything()),
        // Names Object.prototype has too: a header object must never be read through its prototype.
        headers: fc.oneof(
          fc.dictionary(fc.oneof(anyString, fc.constantFrom("constructor", "Constructor", "__proto__", "toString", "hasOwnProperty", "X")), fc.oneof(anyString, fc.array(anyString))),
          fc.anything(),
        ),
        service: fc.oneof(anyString, fc.anything()),
        clientCertificate: fc.oneof(anyString, fc.constant("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"), fc.anything()),
        time: fc.oneof(fc.integer(), fc.double(), anyString, fc.constant("2026-01-01T00:00:00Z"), fc.anything()),
        protocol: fc.oneof(fc.constantFrom("HTTP/1.1", "HTTP/2", "h2c", "websocket"), fc.anything()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(wild, fc.anything()), fc.anything(), (r, seed) => {
        const d = decide({ table }, r as GatewayRequest, { seed: seed as number, explain: true });
        expect(["forward", "redirect", "respond", "notFound", "error", "reject"]).toContain(d.outcome);
        expect(() => JSON.stringify(d)).not.toThrow();
      }),
      { numRuns: NUM_RUNS * 3 },
    );
  });
  it("decide never throws on any headers of an otherwise valid request, names Object.prototype has included", () => {
    const world = { table: compile(buildGraph({ gateways: [{ gateway: "infra/gw", listeners: [{ name: "http" }] }], routes: [{ route: "infra/r", parents: [{ gateway: "infra/gw" }], rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" }, headers: [{ name: "constructor", value: "x" }] }], backends: [{ name: "a" }] }] }] })) };
    const name = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("constructor", "Constructor", "__proto__", "toString", "hasOwnProperty", "X", "x"));
    const value = fc.oneof(fc.string({ maxLength: 12 }), fc.constant("x"));
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.oneof(value, fc.array(value, { maxLength: 3 }))), { maxLength: 6 }), (pairs) => {
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of pairs) Object.defineProperty(headers, k, { value: v, enumerable: true, writable: true, configurable: true });
        const d = decide(world, { gateway: "infra/gw", port: 80, scheme: "http", host: "h", path: "/", headers });
        const sent = Object.entries(headers)
          .filter(([k]) => k.toLowerCase() === "constructor")
          .flatMap(([, v]) => (Array.isArray(v) ? v : [v]).map((x) => x.replace(/^[ \t]+|[ \t]+$/g, "")));
        // Matched exactly when the request sent constructor: x (values of one name joined with ",").
        if (d.outcome !== "error") expect(d.outcome === "forward").toBe(sent.join(",") === "x");
      }),
      { numRuns: NUM_RUNS * 3 },
    );
  });

  it("decide never throws for gRPC, TLS, TCP, UDP and mesh requests either", () => {
    const scenario = (kind: string, folder: string) =>
      [`${kind}/_base.yaml`, `${kind}/${folder}/world.yaml`].map((f) => ({ file: f, text: readFileSync(join(import.meta.dirname, "scenarios", f), "utf8") }));
    const parsed = parseManifestFiles([
      ...scenario("mesh", "gwsim-mesh-route-kinds"),
      ...scenario("tls", "gwsim-tls-https-same-port"),
      ...scenario("grpc", "gwsim-grpc-answers"),
      ...scenario("tcp", "gwsim-tcp-any-client"),
    ]);
    const world = buildWorld(parsed.objects);
    const anyString = fc.string({ unit: "binary", maxLength: 30 });
    const wild = fc.record(
      {
        gateway: fc.oneof(fc.constantFrom("infra/gw", "infra/edge", "infra/tcp-gw"), anyString, fc.anything()),
        service: fc.oneof(fc.constantFrom("mesh/echo", "mesh/echo-v1", "mesh/none", "echo"), anyString, fc.anything()),
        address: fc.oneof(fc.constantFrom("10.96.0.10", "10.96.0.11", "10.0.0.1"), anyString, fc.anything()),
        from: fc.oneof(fc.constantFrom("mesh", "mesh-consumer", "elsewhere"), anyString, fc.anything()),
        scheme: fc.oneof(fc.constantFrom("http", "https", "tls", "tcp", "udp"), fc.anything()),
        port: fc.oneof(fc.constantFrom(80, 443, 7070, 8080, 9090, 9100, 53), fc.integer(), fc.anything()),
        host: fc.oneof(fc.constantFrom("rpc.example.com", "web.example.com", "db.example.org", "www.example.org"), anyString, fc.anything()),
        sni: fc.oneof(fc.constantFrom("db.example.org", "www.example.org", "anything.example"), anyString, fc.anything()),
        method: fc.oneof(fc.constantFrom("GET", "POST"), anyString, fc.anything()),
        path: fc.oneof(fc.constantFrom("/", "/site/a", "/gwsim.echo.Echo/Say"), anyString, fc.anything()),
        headers: fc.oneof(fc.constant({ "content-type": "application/grpc" }), fc.dictionary(anyString, fc.oneof(anyString, fc.array(anyString))), fc.anything()),
        grpc: fc.oneof(fc.record({ service: fc.constantFrom("gwsim.echo.Echo", ""), method: fc.constantFrom("Say", "Broken", "Ext", "") }), fc.record({ service: anyString, method: anyString }), fc.anything()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(wild, fc.integer(), (r, seed) => {
        const d = decide(world, r as GatewayRequest, { seed, explain: true });
        expect(["forward", "redirect", "respond", "notFound", "error", "reject"]).toContain(d.outcome);
        expect(() => JSON.stringify(d)).not.toThrow();
        if (d.grpcStatus !== undefined && d.grpcStatus !== null) expect(d.status).not.toBeNull();
      }),
      { numRuns: NUM_RUNS * 3 },
    );
  });
});
