import { describe, expect, it } from "vitest";
import { compile } from "../compile/index.js";
import { decide } from "./index.js";
import { buildGraph, type WorldSpec } from "../../../../test/http-graph.js";
import type { GatewayRequest } from "../model/request.js";
import type { Decision } from "../model/decision.js";
import { readRequest } from "./request.js";
import { grpcStatusOf } from "./grpc.js";
import { emptyDecision } from "./decision.js";
import { buildWorld } from "../world.js";
import { parseManifests } from "../manifest/parse.js";

const world = (spec: WorldSpec) => ({ table: compile(buildGraph(spec)) });
const req = (r: Partial<GatewayRequest>): GatewayRequest => ({ gateway: "infra/gw", ...r });

describe("precedence steps, one table row each", () => {
  // Two routes on one listener; each row differs in one precedence step.
  const w = world({
    gateways: [{ gateway: "infra/gw", listeners: [{ name: "http" }] }],
    routes: [
      {
        route: "infra/a",
        created: "2024-01-01T00:00:00Z",
        parents: [{ gateway: "infra/gw" }],
        rules: [
          { matches: [{ path: { type: "Exact", value: "/exact" } }], backends: [{ name: "exact" }] },
          { matches: [{ path: { value: "/api" } }], backends: [{ name: "api" }] },
          { matches: [{ path: { value: "/api/v2" } }], backends: [{ name: "api-v2" }] },
          { matches: [{ path: { value: "/m" }, method: "POST" }], backends: [{ name: "m-post" }] },
          { matches: [{ path: { value: "/m" }, headers: [{ name: "a", value: "1" }, { name: "b", value: "2" }] }], backends: [{ name: "m-2h" }] },
          { matches: [{ path: { value: "/q" }, headers: [{ name: "a", value: "1" }] }], backends: [{ name: "q-1h" }] },
          { matches: [{ path: { value: "/q" }, queryParams: [{ name: "x", value: "1" }, { name: "y", value: "2" }] }], backends: [{ name: "q-2q" }] },
          { matches: [{ path: { value: "/r" }, queryParams: [{ name: "x", value: "1" }] }], backends: [{ name: "r-1q" }] },
          { matches: [{ path: { value: "/r" } }], backends: [{ name: "r-none" }] },
          { matches: [{ path: { type: "RegularExpression", value: "/api/v[0-9]+/.*" } }], backends: [{ name: "regex" }] },
        ],
      },
      {
        route: "infra/b",
        created: "2023-01-01T00:00:00Z",
        parents: [{ gateway: "infra/gw" }],
        rules: [
          { matches: [{ path: { value: "/exact" } }], backends: [{ name: "b-exact-prefix" }] },
          { matches: [{ path: { value: "/age" } }], backends: [{ name: "b-age" }] },
        ],
      },
      {
        route: "infra/c",
        created: "2024-06-01T00:00:00Z",
        parents: [{ gateway: "infra/gw" }],
        rules: [{ matches: [{ path: { value: "/age" } }], backends: [{ name: "c-age" }] }],
      },
    ],
  });
  it.each([
    { path: "/exact", headers: {}, method: "GET", want: "exact" }, // 1. Exact over a prefix of equal text
    { path: "/api/v2/x", headers: {}, method: "GET", want: "regex" }, // 2. regex (gwsim) over prefixes
    { path: "/api/v2", headers: {}, method: "GET", want: "api-v2" }, // 3. longer prefix (regex needs /api/vN/...)
    { path: "/api/v3", headers: {}, method: "GET", want: "api" },
    { path: "/api2", headers: {}, method: "GET", want: undefined }, // not a segment prefix: 404
    { path: "/m", headers: { a: "1", b: "2" }, method: "POST", want: "m-post" }, // 4. method over header count
    { path: "/m", headers: { a: "1", b: "2" }, method: "GET", want: "m-2h" },
    { path: "/q", headers: { a: "1" }, method: "GET", want: "q-1h" }, // 5. headers over query params
    { path: "/q?x=1&y=2", headers: {}, method: "GET", want: "q-2q" },
    { path: "/r?x=1", headers: {}, method: "GET", want: "r-1q" }, // 6. query params
    { path: "/r?x=2", headers: {}, method: "GET", want: "r-none" },
    { path: "/age", headers: {}, method: "GET", want: "b-age" }, // 7. oldest route
  ])("$method $path $headers → $want", ({ path, headers, method, want }) => {
    const d = decide(w, req({ path, headers: headers as Record<string, string>, method }), { seed: 0, index: 0 });
    expect(d.backend?.name).toBe(want);
    if (want === undefined) expect(d.status).toBe(404);
  });
});

describe("namespace/name tie-break compares one string", () => {
  const w = world({
    gateways: [{ gateway: "infra/gw", listeners: [{ name: "http" }] }],
    routes: [
      { route: "team/r", parents: [{ gateway: "infra/gw" }], rules: [{ backends: [{ name: "team" }] }] },
      { route: "team-a/r", parents: [{ gateway: "infra/gw" }], rules: [{ backends: [{ name: "team-a" }] }] },
    ],
  });
  it("team-a/r sorts before team/r ('-' < '/')", () => {
    expect(decide(w, req({ path: "/" })).backend?.name).toBe("team-a");
  });
});

describe("HTTPS listener selection and misdirected requests (Gateway Listener.hostname doc)", () => {
  // Four HTTPS listeners on 443, as in HTTPRouteHTTPSListenerDetectMisdirectedRequests.
  const w = world({
    gateways: [
      {
        gateway: "infra/gw",
        listeners: [
          { name: "any", protocol: "HTTPS" },
          { name: "second", protocol: "HTTPS", hostname: "second.example.org" },
          { name: "wild", protocol: "HTTPS", hostname: "*.wild.org" },
          { name: "fourth", protocol: "HTTPS", hostname: "fourth.wild.org" },
        ],
      },
    ],
    routes: [
      { route: "infra/r1", hostnames: ["example.org"], parents: [{ gateway: "infra/gw", sectionName: "any" }], rules: [{ backends: [{ name: "v1" }] }] },
      { route: "infra/r2", parents: [{ gateway: "infra/gw", sectionName: "second" }], rules: [{ backends: [{ name: "v2" }] }] },
      { route: "infra/r3", parents: [{ gateway: "infra/gw", sectionName: "wild" }], rules: [{ backends: [{ name: "v3" }] }] },
      { route: "infra/r4", parents: [{ gateway: "infra/gw", sectionName: "fourth" }], rules: [{ backends: [{ name: "v4" }] }] },
    ],
  });
  it.each([
    { sni: "example.org", host: "example.org", status: null, want: "v1" },
    { sni: "example.org", host: "second.example.org", status: 421 },
    { sni: "example.org", host: "unknown.org", status: 404 },
    { sni: "second.example.org", host: "second.example.org", status: null, want: "v2" },
    { sni: "second.example.org", host: "example.org", status: 421 },
    { sni: "second.example.org", host: "unknown.org", status: 421 },
    { sni: "third.wild.org", host: "third.wild.org", status: null, want: "v3" },
    { sni: "third.wild.org", host: "fifth.wild.org", status: null, want: "v3" },
    { sni: "third.wild.org", host: "fourth.wild.org", status: 421 },
    { sni: "third.wild.org", host: "unknown.org", status: 421 },
    { sni: "fourth.wild.org", host: "fourth.wild.org", status: null, want: "v4" },
    { sni: "fourth.wild.org", host: "fifth.wild.org", status: 421 },
    { sni: "unknown.org", host: "example.org", status: null, want: "v1" },
    { sni: "unknown.org", host: "unknown.org", status: 404 },
  ])("SNI $sni, Host $host → $status $want", ({ sni, host, status, want }) => {
    const d = decide(w, req({ scheme: "https", sni, host, path: "/x" }));
    expect(d.status).toBe(status);
    expect(d.backend?.name).toBe(want);
    if (status === 421) expect(d.reason).toBe("MisdirectedRequest");
  });

  it("no listener for the SNI → reject (TLS handshake fails)", () => {
    const only = world({
      gateways: [{ gateway: "infra/gw", listeners: [{ name: "a", protocol: "HTTPS", hostname: "a.example.com" }] }],
      routes: [],
    });
    const d = decide(only, req({ scheme: "https", sni: "b.example.com", host: "b.example.com" }));
    expect(d.outcome).toBe("reject");
    expect(d.reason).toBe("NoListenerForSNI");
  });

  it("SNI defaults to the Host's name, and the Host to the SNI", () => {
    expect(decide(w, req({ scheme: "https", host: "Second.Example.org:443" })).backend?.name).toBe("v2");
    expect(decide(w, req({ scheme: "https", sni: "third.wild.org" })).backend?.name).toBe("v3");
  });
});

describe("listener selection by port, protocol and Host", () => {
  const w = world({
    gateways: [
      {
        gateway: "infra/gw",
        listeners: [
          { name: "any", port: 80 },
          { name: "wild", port: 80, hostname: "*.example.com" },
          { name: "deep", port: 80, hostname: "*.a.example.com" },
          { name: "exact", port: 80, hostname: "b.a.example.com" },
          { name: "alt", port: 8080, hostname: "example.com" },
          { name: "down", port: 9090, ready: false },
          { name: "tls", port: 8443, protocol: "HTTPS" },
        ],
      },
    ],
    routes: ["any", "wild", "deep", "exact", "alt"].map((l) => ({
      route: `infra/${l}`,
      parents: [{ gateway: "infra/gw", sectionName: l }],
      rules: [{ backends: [{ name: l }] }],
    })),
  });
  it.each([
    { host: "b.a.example.com", port: 80, want: "exact" }, // exact over wildcards
    { host: "c.a.example.com", port: 80, want: "deep" }, // longer wildcard over shorter
    { host: "x.y.a.example.com", port: 80, want: "deep" }, // wildcards span several labels
    { host: "c.example.com", port: 80, want: "wild" },
    { host: "example.com", port: 80, want: "any" }, // *.example.com does not match example.com
    { host: "example.com:80", port: 8080, want: "alt" }, // the Host's port is ignored
  ])("$host on port $port → listener $want", ({ host, port, want }) => {
    const d = decide(w, req({ host, port, path: "/" }));
    expect(d.listener?.name).toBe(want);
    expect(d.backend?.name).toBe(want);
  });
  it.each([
    { port: 81, scheme: "http" as const, reason: "NoListener" },
    { port: 9090, scheme: "http" as const, reason: "ListenerNotReady" },
    { port: 8443, scheme: "http" as const, reason: "ProtocolMismatch" },
    { port: 80, scheme: "https" as const, reason: "ProtocolMismatch" },
  ])("port $port ($scheme) → reject $reason", ({ port, scheme, reason }) => {
    const d = decide(w, req({ host: "example.com", port, scheme }));
    expect(d.outcome).toBe("reject");
    expect(d.reason).toBe(reason);
  });
  it("a Host no listener accepts → 404 on an HTTP port", () => {
    const d = decide(w, req({ host: "other.org", port: 8080 }));
    expect([d.outcome, d.status, d.reason]).toEqual(["notFound", 404, "NoListenerForHost"]);
  });
  it("an unknown gateway → reject", () => {
    expect(decide(w, req({ gateway: "infra/nope" })).reason).toBe("GatewayNotFound");
  });
});

describe("route hostnames: most specific wins; exclusive by default, fall-through as an option", () => {
  const w = world({
    gateways: [{ gateway: "infra/gw", listeners: [{ name: "http" }] }],
    routes: [
      { route: "infra/exact", hostnames: ["foo.example.com"], parents: [{ gateway: "infra/gw" }], rules: [{ matches: [{ path: { value: "/api" } }], backends: [{ name: "exact" }] }] },
      { route: "infra/wild", hostnames: ["*.example.com"], parents: [{ gateway: "infra/gw" }], rules: [{ matches: [{ path: { type: "Exact", value: "/web" } }], backends: [{ name: "wild" }] }] },
      { route: "infra/none", parents: [{ gateway: "infra/gw" }], rules: [{ matches: [{ path: { type: "Exact", value: "/api/x" } }], backends: [{ name: "none" }] }] },
    ],
  });
  it.each([
    // The exact hostname beats a longer, Exact path of less specific hostnames.
    { host: "foo.example.com", path: "/api/x", fallthrough: false, want: "exact" },
    { host: "foo.example.com", path: "/api/x", fallthrough: true, want: "exact" },
    // Exclusive: foo.example.com's routes have no /web rule → 404, the wildcard does not compete.
    { host: "foo.example.com", path: "/web", fallthrough: false, want: undefined },
    { host: "foo.example.com", path: "/web", fallthrough: true, want: "wild" },
    { host: "bar.example.com", path: "/web", fallthrough: false, want: "wild" },
    { host: "bar.example.com", path: "/api/x", fallthrough: false, want: undefined },
    { host: "bar.example.com", path: "/api/x", fallthrough: true, want: "none" },
    { host: "example.com", path: "/api/x", fallthrough: false, want: "none" },
  ])("$host$path fallthrough=$fallthrough → $want", ({ host, path, fallthrough, want }) => {
    const d = decide(w, req({ host, path }), { hostnameFallthrough: fallthrough });
    expect(d.backend?.name).toBe(want);
    if (want === undefined) expect(d.status).toBe(404);
  });
  it("the world's options can turn fall-through on", () => {
    const d = decide({ ...w, options: { hostnameFallthrough: true } }, req({ host: "foo.example.com", path: "/web" }));
    expect(d.backend?.name).toBe("wild");
  });
  it("explain says why a less specific route did not compete", () => {
    const d = decide(w, req({ host: "foo.example.com", path: "/web" }), { explain: true });
    expect(d.explain!.join("\n")).toMatch(/HTTPRoute infra\/wild rule 0 match 0 \(hostname \*\.example\.com\) would match with hostnameFallthrough/);
  });
});

describe("backends", () => {
  const w = world({
    gateways: [{ gateway: "infra/gw", listeners: [{ name: "http" }] }],
    routes: [
      {
        route: "infra/r",
        parents: [{ gateway: "infra/gw" }],
        rules: [
          { matches: [{ path: { value: "/split" } }], backends: [{ name: "a", weight: 3 }, { name: "b", weight: 1 }, { name: "zero", weight: 0 }] },
          { matches: [{ path: { value: "/half-bad" } }], backends: [{ name: "good" }, { name: "bad", valid: false, reason: "RefNotPermitted" }] },
          { matches: [{ path: { value: "/zero" } }], backends: [{ name: "a", weight: 0 }] },
          { matches: [{ path: { value: "/none" } }], backends: [] },
          { matches: [{ path: { value: "/timeouts" } }], backends: [{ name: "a" }], timeouts: { request: "10s", backendRequest: "2s" }, retry: { attempts: 2, backoff: "100ms", codes: [503] }, sessionPersistence: { sessionName: "s", type: "Cookie" } },
        ],
      },
    ],
  });
  it("exact probabilities, zero weight never picked, draws follow the weights", () => {
    const counts: Record<string, number> = {};
    for (let index = 0; index < 4000; index++) {
      const d = decide(w, req({ path: "/split" }), { seed: 7, index });
      counts[d.backend!.name] = (counts[d.backend!.name] ?? 0) + 1;
    }
    const d = decide(w, req({ path: "/split" }));
    expect(d.backends.map((b) => [b.name, b.probability])).toEqual([["a", 0.75], ["b", 0.25], ["zero", 0]]);
    expect(counts.zero).toBeUndefined();
    expect(counts.a! / 4000).toBeGreaterThan(0.71);
    expect(counts.a! / 4000).toBeLessThan(0.79);
  });
  it("the draw depends on (seed, index) only", () => {
    const picks = (seed: number) => Array.from({ length: 50 }, (_, index) => decide(w, req({ path: "/split" }), { seed, index }).backend!.name);
    expect(picks(1)).toEqual(picks(1));
    expect(picks(1)).not.toEqual(picks(2));
  });
  it("an invalid backend keeps its share and answers 500", () => {
    const outcomes = new Set<string>();
    for (let index = 0; index < 200; index++) {
      const d = decide(w, req({ path: "/half-bad" }), { seed: 3, index });
      outcomes.add(`${d.backend!.name}:${d.outcome}:${d.status}:${d.reason}`);
    }
    expect([...outcomes].sort()).toEqual(["bad:error:500:RefNotPermitted", "good:forward:null:null"]);
  });
  it.each([
    { path: "/zero", reason: "NoBackendWeight" },
    { path: "/none", reason: "NoBackends" },
  ])("$path → 500 $reason", ({ path, reason }) => {
    const d = decide(w, req({ path }));
    expect([d.outcome, d.status, d.reason, d.backend]).toEqual(["error", 500, reason, null]);
  });
  it("timeouts, retry and sessionPersistence are carried", () => {
    const d = decide(w, req({ path: "/timeouts" }));
    expect(d.timeouts).toEqual({ request: "10s", backendRequest: "2s" });
    expect(d.retry).toEqual({ attempts: 2, backoff: "100ms", codes: [503] });
    expect(d.sessionPersistence).toEqual({ sessionName: "s", type: "Cookie" });
  });
});

describe("BackendTLSPolicy for the picked Service", () => {
  const policy = (name: string, sectionName: string | null) => ({
    namespace: "infra",
    name,
    targets: [{ group: "", kind: "Service", name: "svc", sectionName }],
    hostname: `${name}.example.com`,
    caCertificateRefs: [{ group: "", kind: "ConfigMap", name: "ca" }],
    wellKnownCACertificates: null,
    subjectAltNames: [],
    clientCertificate: null,
  });
  const w = world({
    gateways: [{ gateway: "infra/gw", listeners: [{ name: "http" }] }],
    routes: [
      {
        route: "infra/r",
        parents: [{ gateway: "infra/gw" }],
        rules: [
          { matches: [{ path: { value: "/https" } }], backends: [{ name: "svc", port: 443 }] },
          { matches: [{ path: { value: "/other" } }], backends: [{ name: "svc", port: 8080 }] },
          { matches: [{ path: { value: "/plain" } }], backends: [{ name: "plain" }] },
        ],
      },
    ],
    services: [{ namespace: "infra", name: "svc", clusterIP: null, type: "ClusterIP", externalName: null, ports: [{ name: "https", port: 443, targetPort: 8443, protocol: "TCP", appProtocol: null }, { name: "http", port: 8080, targetPort: 8080, protocol: "TCP", appProtocol: null }] }],
    backendTLSPolicies: [policy("whole", null), policy("port", "https")],
  });
  it.each([
    { path: "/https", want: "infra/port" }, // the policy naming the port wins
    { path: "/other", want: "infra/whole" },
    { path: "/plain", want: null },
  ])("$path → $want", ({ path, want }) => {
    const d = decide(w, req({ path }));
    expect(d.backendTLS?.policy ?? null).toBe(want);
    if (want === "infra/port") expect(d.backendTLS).toMatchObject({ sni: "port.example.com", caCertificateRefs: ["infra/ca"] });
  });
});

describe("explain", () => {
  const w = world({
    gateways: [{ gateway: "infra/gw", listeners: [{ name: "http" }] }],
    routes: [
      { route: "ns/a", created: "2024-01-01T00:00:00Z", parents: [{ gateway: "infra/gw" }], rules: [{ matches: [{ path: { value: "/x" } }], backends: [{ name: "x" }] }, { matches: [{ path: { value: "/y" } }], backends: [{ name: "y" }] }, { matches: [{ path: { value: "/api/v2" } }], backends: [{ name: "v2", weight: 9 }, { name: "v2b", weight: 1 }] }] },
      { route: "ns/b", created: "2023-01-01T00:00:00Z", parents: [{ gateway: "infra/gw" }], rules: [{ matches: [{ path: { value: "/api" } }], backends: [{ name: "api" }] }, { matches: [{ path: { value: "/v" }, headers: [{ name: "version", value: "two" }] }], backends: [{ name: "v" }] }] },
    ],
  });
  it("names the listener, the candidates, why the winner beat the runner-up, and the backend", () => {
    const text = decide(w, req({ host: "example.com", path: "/api/v2/z" }), { explain: true, seed: 1, index: 0 }).explain!.join("\n");
    expect(text).toMatch(/listener infra\/gw\/http \(port 80, HTTP, hostname any\) accepts host example.com/);
    expect(text).toMatch(/candidate routes for host example.com: ns\/a, ns\/b \(hostname any\)/);
    expect(text).toMatch(/HTTPRoute ns\/a rule 2 match 0 beat HTTPRoute ns\/b rule 0 match 0: longer prefix \/api\/v2 \(7 chars\) vs \/api \(4\)/);
    expect(text).toMatch(/backend infra\/v2:8080|backend ns\/v2b?:8080: weight \d of 10, probability 0\.[91], picked by seeded draw/);
  });
  it("for a 404 lists the nearest misses and why each missed", () => {
    const d = decide(w, req({ path: "/v", headers: { version: "one" } }), { explain: true });
    expect(d.status).toBe(404);
    expect(d.explain!.join("\n")).toMatch(/nearest miss: HTTPRoute ns\/b rule 1 match 0: header version="two" expected, got "one"/);
  });
  it("is left out unless asked for", () => {
    expect(decide(w, req({ path: "/x" })).explain).toBeUndefined();
  });
});

describe("requests that are not routable", () => {
  const w = world({ gateways: [{ gateway: "infra/gw", listeners: [{ name: "http" }] }], routes: [{ route: "infra/r", parents: [{ gateway: "infra/gw" }], rules: [{ backends: [{ name: "a" }] }] }] });
  it.each([
    { r: { path: "no-slash" }, outcome: "error", status: 400, reason: "BadRequest" },
    { r: { path: "/%zz" }, outcome: "error", status: 400, reason: "BadRequest" },
    { r: { headers: { "bad name": "x" } }, outcome: "error", status: 400, reason: "BadRequest" },
    { r: { port: "80" as unknown as number }, outcome: "error", status: 400, reason: "BadRequest" },
    { r: { gateway: undefined, service: "infra/svc" }, outcome: "reject", status: null, reason: "ServiceNotFound" },
    { r: { gateway: undefined }, outcome: "error", status: null, reason: "NoEntryPoint" },
    { r: { scheme: "tcp" as const, port: 9000 }, outcome: "reject", status: null, reason: "NoListener" },
    { r: { scheme: "tcp" as const, port: 80 }, outcome: "reject", status: null, reason: "ProtocolMismatch" },
    { r: { scheme: "tcp" as const }, outcome: "error", status: 400, reason: "BadRequest" }, // no default port
    { r: { grpc: { service: 1 } as unknown as { service: string; method: string } }, outcome: "error", status: 400, reason: "BadRequest" },
  ])("$r → $outcome $status $reason", ({ r, outcome, status, reason }) => {
    const d = decide(w, req(r));
    expect([d.outcome, d.status, d.reason]).toEqual([outcome, status, reason]);
  });
  it("echoes the request id", () => {
    expect(decide(w, req({ id: 42 })).id).toBe(42);
  });
});

describe("a mesh request naming its Service as ns/name:port", () => {
  const mesh = buildWorld(parseManifests(`apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {clusterIP: 10.0.0.9, ports: [{port: 8080}]}
`, { file: "svc.yaml" }).objects);
  it("is not found, and the message says where the port goes when ns/name exists", () => {
    expect(decide(mesh, { service: "shop/web", port: 8080, path: "/" }).outcome).toBe("forward");
    const d = decide(mesh, { service: "shop/web:8080", path: "/" });
    expect([d.outcome, d.reason]).toEqual(["reject", "ServiceNotFound"]);
    expect(d.message).toContain("Service shop/web exists: give the port in the request's port field");
    expect(decide(mesh, { service: "shop/none:8080", path: "/" }).message).not.toContain("exists");
  });
});

describe("gRPC calls", () => {
  it.each([
    { r: { grpc: { service: "a.B", method: "C" } }, want: { service: "a.B", method: "C" }, target: "/a.B/C", method: "POST" },
    { r: { method: "POST", path: "/a.B/C", headers: { "content-type": "application/grpc" } }, want: { service: "a.B", method: "C" }, target: "/a.B/C", method: "POST" },
    { r: { method: "post", path: "/a.B/C", headers: { "Content-Type": "application/grpc+proto" } }, want: { service: "a.B", method: "C" }, target: "/a.B/C", method: "POST" },
    { r: { method: "POST", path: "/a.B/C", headers: { "content-type": "application/grpc; charset=utf-8" } }, want: { service: "a.B", method: "C" }, target: "/a.B/C", method: "POST" },
    { r: { method: "POST", path: "/not-grpc", headers: { "content-type": "application/grpc" } }, want: { service: "", method: "" }, target: "/not-grpc", method: "POST" },
    { r: { method: "POST", path: "/a.B/C", headers: { "content-type": "application/grpc-web" } }, want: null, target: "/a.B/C", method: "POST" },
    { r: { method: "GET", path: "/a.B/C", headers: { "content-type": "application/grpc" } }, want: null, target: "/a.B/C", method: "GET" },
    // `grpc` names the call: the path it is sent to follows from it
    { r: { grpc: { service: "a.B", method: "C" }, path: "/elsewhere", method: "GET" }, want: { service: "a.B", method: "C" }, target: "/a.B/C", method: "POST" },
  ])("$r is a gRPC call $want", ({ r, want, target, method }) => {
    const read = readRequest(req(r as Partial<GatewayRequest>));
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.request.grpc).toEqual(want);
    expect(read.request.target).toBe(target);
    expect(read.request.method).toBe(method);
  });
  it("a `grpc` call gets content-type application/grpc and HTTP/2 unless it says otherwise", () => {
    const read = readRequest(req({ grpc: { service: "a.B", method: "C" } }));
    expect(read.ok && read.request.headers["content-type"]).toBe("application/grpc");
    expect(read.ok && read.request.protocol).toBe("HTTP/2");
    const own = readRequest(req({ grpc: { service: "a.B", method: "C" }, headers: { "content-type": "application/grpc+json" }, protocol: "h2c" }));
    expect(own.ok && own.request.headers["content-type"]).toBe("application/grpc+json");
    expect(own.ok && own.request.protocol).toBe("h2c");
  });
  const d = (over: Partial<Decision>): Decision => ({ ...emptyDecision(undefined), ...over });
  const backend = { group: "", kind: "Service", namespace: "ns", name: "svc", port: 80 };
  it.each([
    { over: { outcome: "forward" as const, status: null }, want: null },
    { over: { outcome: "reject" as const, status: null }, want: null },
    { over: { outcome: "notFound" as const, status: 404 }, want: 12 },
    { over: { outcome: "error" as const, status: 400 }, want: 13 },
    { over: { outcome: "error" as const, status: 500, reason: "NoBackends" }, want: 14 },
    { over: { outcome: "error" as const, status: 500, reason: "NoBackendWeight" }, want: 14 },
    { over: { outcome: "error" as const, status: 500, reason: "BackendNotFound", backend, backends: [{ ...backend, weight: 1, probability: 1, valid: false, reason: "BackendNotFound" }] }, want: 14 },
    { over: { outcome: "error" as const, status: 500, reason: "InvalidKind" }, want: 2 },
    { over: { outcome: "error" as const, status: 421 }, want: 2 },
    { over: { outcome: "redirect" as const, status: 302 }, want: 2 },
    { over: { outcome: "error" as const, status: 503 }, want: 14 },
  ])("grpc-status of $over.outcome $over.status $over.reason → $want", ({ over, want }) => {
    expect(grpcStatusOf(d(over))).toBe(want);
  });
});
