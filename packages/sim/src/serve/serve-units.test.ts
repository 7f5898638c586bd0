import fc from "fast-check";
import tls from "node:tls";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { parseDuration, timeoutMs } from "./duration.js";
import { endpointsFromManifests, parseEndpointsFile, RoundRobin } from "./endpoints.js";
import { applyHeaderEdits, requestHeaders, responseHeaders } from "./headers.js";
import { parseListen } from "./listen.js";
import { accessLogLine, accessLogRecord } from "./log.js";
import { decodeSessionToken, encodeSessionToken, type Decision } from "@gwsim/core";
import { sessionField, sessionOf } from "./session.js";
import type { Exchange } from "./types.js";
import { backoffFor, mirrorFires } from "./forward.js";
import { hostnameScore, listenerForServerName, parseClientHello } from "./tls.js";

describe("parseDuration (GEP-2257)", () => {
  it.each([
    { text: "1h", ms: 3_600_000 },
    { text: "1m30s", ms: 90_000 },
    { text: "500ms", ms: 500 },
    { text: "1h2m3s4ms", ms: 3_723_004 },
    { text: "0s", ms: 0 },
    { text: "1.5s", ms: null },
    { text: "1d", ms: null },
    { text: "", ms: null },
    { text: "123456s", ms: null },
    { text: "1s1s1s1s1s", ms: null },
  ])("$text → $ms", ({ text, ms }) => expect(parseDuration(text)).toBe(ms));

  it("a zero timeout is no timeout", () => {
    expect(timeoutMs("0s")).toBeNull();
    expect(timeoutMs(undefined)).toBeNull();
    expect(timeoutMs("2s")).toBe(2000);
  });
});

describe("headers", () => {
  it("drops hop-by-hop fields and those Connection names; keeps repeated fields", () => {
    const h = requestHeaders(["Host", "a", "Connection", "close, X-Hop", "X-Hop", "1", "TE", "trailers", "X-A", "1", "x-a", "2", "Upgrade", "h2c", ":path", "/"]);
    expect(h).toEqual({ host: "a", "x-a": ["1", "2"] });
    expect(requestHeaders(["Upgrade", "websocket", "Connection", "Upgrade"], new Set(["upgrade", "connection"]))).toEqual({ upgrade: "websocket", connection: "Upgrade" });
  });

  it("response: hop-by-hop out, set-cookie lists kept", () => {
    expect(responseHeaders({ "transfer-encoding": "chunked", "keep-alive": "timeout=5", "set-cookie": ["a=1", "b=2"], "x-y": "z" })).toEqual({ "set-cookie": ["a=1", "b=2"], "x-y": "z" });
  });

  it("edits apply set, then add (joined), then remove, as the core composes them", () => {
    expect(applyHeaderEdits({ "x-a": "1", "x-b": "2", "x-c": "3" }, { set: { "X-A": "one" }, add: { "x-b": "more", "x-new": "n" }, remove: ["X-C"] })).toEqual({ "x-a": "one", "x-b": "2,more", "x-new": "n" });
  });
});

describe("endpoints", () => {
  const service = { namespace: "app", name: "web", clusterIP: null, type: "ClusterIP", externalName: null, ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP", appProtocol: null }, { name: "admin", port: 9000, targetPort: 9001, protocol: "TCP", appProtocol: null }] };
  const slice = (over: Record<string, unknown> = {}) => ({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "web-1", namespace: "app", labels: { "kubernetes.io/service-name": "web" } },
    ports: [{ name: "http", port: 8080 }, { name: "admin", port: 9001 }],
    endpoints: [{ addresses: ["10.0.0.1"] }, { addresses: ["10.0.0.2"], conditions: { ready: false } }, { addresses: ["fd00::3"], conditions: { ready: true } }],
    ...over,
  });

  it("maps a Service port to the slice port of the same name, leaves out endpoints not ready", () => {
    const { table } = endpointsFromManifests([slice()], [service]);
    expect(table.get("app/web:80")).toEqual(["10.0.0.1:8080", "[fd00::3]:8080"]);
    expect(table.get("app/web:9000")).toEqual(["10.0.0.1:9001", "[fd00::3]:9001"]);
  });

  it("merges slices of one Service; ignores a slice without the service-name label", () => {
    const two = slice({ metadata: { name: "web-2", namespace: "app", labels: { "kubernetes.io/service-name": "web" } }, endpoints: [{ addresses: ["10.0.0.9"] }] });
    const unlabeled = slice({ metadata: { name: "x", namespace: "app" } });
    const { table, problems } = endpointsFromManifests([slice(), two, unlabeled], [service]);
    expect(table.get("app/web:80")).toEqual(["10.0.0.1:8080", "[fd00::3]:8080", "10.0.0.9:8080"]);
    expect(problems).toHaveLength(1);
  });

  it("ExternalName Services resolve to their name", () => {
    const ext = { ...service, name: "ext", type: "ExternalName", externalName: "api.example.net", ports: [{ name: null, port: 443, targetPort: 443, protocol: "TCP", appProtocol: null }] };
    expect(endpointsFromManifests([], [ext]).table.get("app/ext:443")).toEqual(["api.example.net:443"]);
  });

  it.each([
    { text: "app/web:80: [127.0.0.1:9000, '[::1]:9001']", ok: true },
    { text: '{"app/web:80": ["localhost:9000"]}', ok: true },
    { text: "app/web: [127.0.0.1:9000]", ok: false },
    { text: "app/web:80: [127.0.0.1]", ok: false },
    { text: "app/web:80: [127.0.0.1:99999]", ok: false },
    { text: "- a\n- b", ok: false },
    { text: "key: [unclosed", ok: false },
  ])("--endpoints $text → ok $ok", ({ text, ok }) => {
    const r = parseEndpointsFile(text, "e.yaml");
    expect(r.problems.length === 0).toBe(ok);
  });

  it("round robin visits every endpoint equally", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 5 }), (n, rounds) => {
        const rr = new RoundRobin();
        const list = Array.from({ length: n }, (_, i) => `10.0.0.${i}:80`);
        const counts = new Map<string, number>();
        for (let i = 0; i < n * rounds; i++) {
          const a = rr.pick("k", list)!;
          counts.set(a, (counts.get(a) ?? 0) + 1);
        }
        expect([...counts.values()]).toEqual(Array(n).fill(rounds));
      }),
    );
    expect(new RoundRobin().pick("k", [])).toBeNull();
  });
});

describe("--listen", () => {
  it.each([
    { v: "80=127.0.0.1:8080", key: "80", host: "127.0.0.1", port: 8080 },
    { v: "infra/edge:443=[::1]:0", key: "infra/edge:443", host: "::1", port: 0 },
    { v: "80=:9000", key: "80", host: "0.0.0.0", port: 9000 },
  ])("$v", ({ v, key, host, port }) => {
    const { map, error } = parseListen([v]);
    expect(error).toBeNull();
    expect(map.get(key)).toEqual({ host, port });
  });
  it.each(["80", "80=127.0.0.1", "x=1.2.3.4:5", "70000=1.2.3.4:5", "80=1.2.3.4:99999"])("rejects %s", (v) => {
    expect(parseListen([v]).error).toMatch(/--listen/);
  });
});

describe("retry backoff and mirror draws", () => {
  it("backoff doubles from the minimum, capped at ten times it", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffFor({ backoffMs: 100 }, n))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("a mirror's percent is honoured with a draw reproducible from (seed, index)", () => {
    const m = { backend: { group: "", kind: "Service", namespace: "a", name: "m", port: 80 }, percent: 25 };
    const fired = Array.from({ length: 4000 }, (_, i) => mirrorFires(m, 1, i, 0));
    const share = fired.filter(Boolean).length / fired.length;
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.28);
    expect(Array.from({ length: 4000 }, (_, i) => mirrorFires(m, 1, i, 0))).toEqual(fired);
    expect(mirrorFires({ ...m, percent: 0 }, 1, 0, 0)).toBe(false);
    expect(mirrorFires({ ...m, percent: 100, valid: false }, 1, 0, 0)).toBe(false);
    expect(mirrorFires({ ...m, percent: 1, fire: true } as never, 1, 0, 0)).toBe(true);
  });
});

describe("TLS helpers", () => {
  it.each([
    { listener: "a.example.com", name: "a.example.com", covers: true },
    { listener: "*.example.com", name: "a.example.com", covers: true },
    { listener: "*.example.com", name: "a.b.example.com", covers: true },
    { listener: "*.example.com", name: "example.com", covers: false },
    { listener: "a.example.com", name: "b.example.com", covers: false },
    { listener: null, name: "anything", covers: true },
  ])("$listener covers $name: $covers", ({ listener, name, covers }) => {
    expect(hostnameScore(listener, name) >= 0).toBe(covers);
  });

  it("exact beats the longest wildcard beats no hostname", () => {
    const ls = [{ hostname: null }, { hostname: "*.example.com" }, { hostname: "*.a.example.com" }, { hostname: "x.a.example.com" }];
    expect(listenerForServerName(ls, "x.a.example.com")).toBe(ls[3]);
    expect(listenerForServerName(ls, "y.a.example.com")).toBe(ls[2]);
    expect(listenerForServerName(ls, "b.example.com")).toBe(ls[1]);
    expect(listenerForServerName(ls, "other.org")).toBe(ls[0]);
    expect(listenerForServerName([{ hostname: "a.org" }], "b.org")).toBeNull();
  });

  it("reads the SNI of a real ClientHello without terminating TLS", async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const hello = new Promise<Buffer>((resolve) => server.once("connection", (s) => s.once("data", (d: Buffer) => { resolve(d); s.destroy(); })));
    const client = tls.connect({ port, host: "127.0.0.1", servername: "shop.example.com" });
    client.on("error", () => undefined);
    const bytes = await hello;
    server.close();
    expect(parseClientHello(bytes)).toEqual({ kind: "hello", serverName: "shop.example.com" });
    expect(parseClientHello(bytes.subarray(0, 20))).toEqual({ kind: "incomplete" });
    expect(parseClientHello(Buffer.from("GET / HTTP/1.1\r\n"))).toEqual({ kind: "notTls" });
  });
});

describe("access log line", () => {
  const text = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.constantFrom('"', "\\", "\n", "\u0000", "\u2028", "é/ü"));
  const exchange = fc.record({
    index: fc.nat(),
    started: fc.integer({ min: 0, max: 4_102_444_800_000 }),
    frontend: text,
    generation: fc.nat(),
    request: fc.record({ method: text, host: fc.option(text, { nil: undefined }), path: text, protocol: fc.constantFrom("HTTP/1.1", "HTTP/2", "websocket") }),
    decision: fc.option(
      fc.record({
        outcome: fc.constantFrom("forward", "notFound", "error"),
        listener: fc.option(fc.record({ gateway: text, name: text, port: fc.nat() }), { nil: null }),
        route: fc.option(fc.record({ kind: fc.constantFrom("HTTPRoute", "GRPCRoute"), namespace: text, name: text, rule: fc.option(fc.nat(), { nil: null }) }), { nil: null }),
      }),
      { nil: null },
    ),
    status: fc.nat({ max: 599 }),
    backend: fc.option(text, { nil: null }),
    endpoint: fc.option(text, { nil: null }),
    attempts: fc.nat({ max: 5 }),
    durationMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
    upstreamMs: fc.option(fc.double({ min: 0, max: 1e6, noNaN: true }), { nil: null }),
    reason: fc.option(text, { nil: null }),
    mirrors: fc.nat({ max: 3 }),
    grpcStatus: fc.option(fc.nat({ max: 16 }), { nil: undefined }),
    aborted: fc.boolean(),
  });

  it("is exactly JSON.stringify of the access log record, whatever the strings hold", () => {
    fc.assert(
      fc.property(exchange, (x) => {
        const line = accessLogLine(x as unknown as Exchange);
        expect(line).toBe(`${JSON.stringify(accessLogRecord(x as unknown as Exchange))}\n`);
        expect(JSON.parse(line).time).toBe(new Date(x.started).toISOString());
      }),
      { numRuns: 300 },
    );
  });
});

describe("session plans (serve/session.ts)", () => {
  const backend = { group: "", kind: "Service", namespace: "app", name: "a", port: 8080 };
  const addresses = ["127.0.0.1:1001", "127.0.0.1:1002"];
  const T = Date.parse("2026-01-01T00:00:00Z");
  const g1 = (endpoint: string, ms: number) => `g1.${Buffer.from(`${endpoint}|${Math.floor(ms / 1000)}`).toString("base64url")}`;
  const decision = (session: Decision["session"], sessionPersistence: unknown = { sessionName: "s" }) => ({ backend, session, sessionPersistence }) as unknown as Decision;
  const cookie = (session: NonNullable<Decision["session"]>["presented"], pinned: boolean, endpoint: string | null = null) => ({ type: "Cookie" as const, name: "s", presented: session, pinned, endpoint });

  it.each([
    { about: "pinned, its endpoint serves: kept, no new token", d: decision(cookie("valid", true, "127.0.0.1:1002")), endpoint: "127.0.0.1:1002", renew: false },
    { about: "pinned, its endpoint is gone: round robin, the session moves", d: decision(cookie("valid", true, "127.0.0.1:9")), endpoint: null, renew: false },
    { about: "pinned to the backend only: round robin", d: decision(cookie("valid", true)), endpoint: null, renew: false },
    { about: "no token: a new session", d: decision(cookie(null, false)), endpoint: null, renew: true },
    { about: "expired: a new session", d: decision(cookie("expired", false)), endpoint: null, renew: true },
  ])("$about", ({ d, endpoint, renew }) => {
    expect(sessionOf(d, {}, addresses, T, false)).toEqual({ kind: "cookie", name: "s", endpoint, renew, maxAgeSeconds: null, secure: false });
  });

  it("no session in the decision, or no backend: no plan", () => {
    expect(sessionOf(decision(undefined), {}, addresses, T, false)).toBeNull();
    expect(sessionOf(decision(null), {}, addresses, T, false)).toBeNull();
    expect(sessionOf({ ...decision(cookie(null, false)), backend: null }, {}, addresses, T, false)).toBeNull();
  });

  it("an earlier gwsim's g1 token keeps its endpoint when the backend has it and it is within absoluteTimeout; a new token follows", () => {
    const d = decision(cookie("unknown", false), { sessionName: "s", absoluteTimeout: "1h" });
    expect(sessionOf(d, { cookie: `s=${g1("127.0.0.1:1001", T - 60_000)}` }, addresses, T, false)).toMatchObject({ endpoint: "127.0.0.1:1001", renew: true });
    expect(sessionOf(d, { cookie: `s=${g1("127.0.0.1:1001", T - 3_600_000)}` }, addresses, T, false)).toMatchObject({ endpoint: null });
    expect(sessionOf(d, { cookie: `s=${g1("127.0.0.1:9", T)}` }, addresses, T, false)).toMatchObject({ endpoint: null });
    expect(sessionOf(d, { cookie: `other=${g1("127.0.0.1:1001", T)}` }, addresses, T, false)).toMatchObject({ endpoint: null });
  });

  it("a header session; a Permanent cookie gets Max-Age; Secure over TLS", () => {
    expect(sessionOf(decision({ type: "Header", name: "X-S", presented: null, pinned: false, endpoint: null }), {}, addresses, T, false)).toMatchObject({ kind: "header", name: "X-S" });
    const permanent = decision(cookie(null, false), { sessionName: "s", absoluteTimeout: "1h30m", cookieConfig: { lifetimeType: "Permanent" } });
    expect(sessionOf(permanent, {}, addresses, T, true)).toMatchObject({ maxAgeSeconds: 5400, secure: true });
  });

  it("the field the gateway sends names the backend and the endpoint that served, issued now", () => {
    const plan = sessionOf(decision(cookie(null, false)), {}, addresses, T, true)!;
    const [name, value] = sessionField(plan, backend, "127.0.0.1:1002", T + 1500);
    expect(name).toBe("set-cookie");
    expect(value).toMatch(/^s=g2\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
    expect(decodeSessionToken(value.slice(2).split(";")[0]!)).toEqual({ backend, endpoint: "127.0.0.1:1002", issuedAtMs: T + 1000 });
    const header = sessionField({ ...plan, kind: "header", name: "X-S" }, backend, "127.0.0.1:1002", T);
    expect(header).toEqual(["x-s", encodeSessionToken({ backend, endpoint: "127.0.0.1:1002", issuedAtMs: T })]);
  });
});
