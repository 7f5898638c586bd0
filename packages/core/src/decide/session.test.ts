import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { compile } from "../compile/index.js";
import type { BackendId } from "../model/decision.js";
import type { GatewayRequest } from "../model/request.js";
import { buildGraph, type BackendSpec } from "../../../../test/http-graph.js";
import { decide } from "./index.js";
import { decodeSessionToken, encodeSessionToken, presentedSessionTokens, sessionCookieName } from "./session.js";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const svc = (name: string, port: number | null = 8080, namespace = "infra"): BackendId => ({ group: "", kind: "Service", namespace, name, port });

describe("session tokens", () => {
  const text = fc.string({ unit: "grapheme", maxLength: 20 });
  const name = fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 });
  const backend = fc.record({ group: text, kind: name, namespace: name, name, port: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: null }) });

  it("decode(encode(t)) gives t back (issuedAt to the second; an empty endpoint is none), whatever the names hold", () => {
    fc.assert(
      fc.property(backend, fc.option(text, { nil: null }), fc.integer({ min: 0, max: 4_102_444_800_000 }), (b, endpoint, t) => {
        const token = encodeSessionToken({ backend: b, endpoint, issuedAtMs: t });
        expect(token).toMatch(/^g2\.[A-Za-z0-9_-]+$/);
        expect(decodeSessionToken(token)).toEqual({ backend: b, endpoint: endpoint || null, issuedAtMs: Math.floor(t / 1000) * 1000 });
      }),
      { numRuns: 300 },
    );
  });

  it("any other text decodes to null or to a token, never throws", () => {
    const base64ish = fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/%|"), maxLength: 60 });
    fc.assert(
      fc.property(fc.oneof(fc.string(), base64ish.map((s) => `g2.${s}`), base64ish.map((s) => `g1.${s}`)), (s) => {
        const t = decodeSessionToken(s);
        if (t !== null) expect(Number.isSafeInteger(t.issuedAtMs)).toBe(true);
      }),
      { numRuns: 500 },
    );
    for (const bad of ["", "g2.", "g1.", "garbage", "g2.%%%", "g2.A", "g3.MTc2NzIyNTYwMHx8U2VydmljZXxpbmZyYXx2MXw4MDgwfA", "G2.MTc2NzIyNTYwMHx8U2VydmljZXxpbmZyYXx2MXw4MDgwfA"]) {
      expect(decodeSessionToken(bad), bad).toBeNull();
    }
  });

  it("the format is stable: a token issued earlier still decodes to what it named", () => {
    expect(encodeSessionToken({ backend: svc("v1"), issuedAtMs: T0 + 999 })).toBe("g2.MTc2NzIyNTYwMHx8U2VydmljZXxpbmZyYXx2MXw4MDgwfA");
    expect(decodeSessionToken("g2.MTc2NzIyNTYwMHx8U2VydmljZXxpbmZyYXx2MXw4MDgwfDEwLjAuMC43OjMwMDA")).toEqual({ backend: svc("v1"), endpoint: "10.0.0.7:3000", issuedAtMs: T0 });
    // earlier gwsim serve tokens: an endpoint, no backend
    expect(decodeSessionToken("g1.MTAuMC4wLjc6MzAwMHwxNzY3MjI1NjAw")).toEqual({ backend: null, endpoint: "10.0.0.7:3000", issuedAtMs: T0 });
    // a port out of range, or a missing name, is not a token gwsim issued
    expect(decodeSessionToken(encodeSessionToken({ backend: { ...svc("v1"), port: 70000 }, issuedAtMs: T0 }))).toBeNull();
    expect(decodeSessionToken(encodeSessionToken({ backend: svc(""), issuedAtMs: T0 }))).toBeNull();
  });

  // The scenario files write tokens literally; each says in its key what it names.
  it.each(["http/gwsim-session-persistence", "grpc/gwsim-grpc-session-persistence", "http/gwsim-backend-traffic-policy-session", "grpc/gwsim-grpc-backend-traffic-policy"])("the tokens of test/scenarios/%s name what their keys say", (folder) => {
    const file = join(import.meta.dirname, "../../../../test/scenarios", folder, "cases.yaml");
    const tokens = (parse(readFileSync(file, "utf8")) as { tokens: Record<string, string> }).tokens;
    expect(Object.keys(tokens).length).toBeGreaterThan(1);
    for (const [key, token] of Object.entries(tokens)) {
      const t = decodeSessionToken(token)!;
      const parts = [t.backend ? `${t.backend.namespace}/${t.backend.name}:${t.backend.port}` : "g1", ...(t.endpoint ? [t.endpoint] : []), new Date(t.issuedAtMs).toISOString().replace(".000Z", "Z")];
      expect(parts.join(" ")).toBe(key);
    }
  });
});

describe("session names and presented tokens", () => {
  it("the generated cookie name is fixed per route rule and differs between rules", () => {
    const rule = (i: number) => sessionCookieName({ kind: "HTTPRoute", namespace: "infra", name: "sticky", rule: i });
    expect(rule(5)).toBe("gwsim-session-98edbbdf2508");
    const names = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(rule));
    expect(names.size).toBe(12);
    for (const n of names) expect(n).toMatch(/^gwsim-session-[0-9a-f]{12}$/);
    expect(sessionCookieName({ kind: "GRPCRoute", namespace: "infra", name: "sticky", rule: 5 })).not.toBe(rule(5));
  });

  it.each<{ type: "Cookie" | "Header"; headers: Record<string, string | string[]>; want: string[] }>([
    { type: "Cookie" as const, headers: {}, want: [] },
    { type: "Cookie" as const, headers: { cookie: "s=a" }, want: ["a"] },
    { type: "Cookie" as const, headers: { cookie: "x=1;s=a ; s = b;S=c; ss=d; s" }, want: ["a", "b"] },
    { type: "Cookie" as const, headers: { cookie: ['s="q"', "t=2; s=r"] }, want: ["q", "r"] },
    { type: "Cookie" as const, headers: { cookie: 's=""' }, want: [""] },
    { type: "Cookie" as const, headers: { s: "a" }, want: [] },
    { type: "Header" as const, headers: { s: "a, b,,c" }, want: ["a", "b", "c"] },
    { type: "Header" as const, headers: { s: ["a", "b"] }, want: ["a", "b"] },
    { type: "Header" as const, headers: { cookie: "s=a" }, want: [] },
  ])("$type s in $headers → $want", ({ type, headers, want }) => {
    expect(presentedSessionTokens({ type, name: "s" }, headers)).toEqual(want);
  });
});

/** One HTTPRoute rule splitting across `backends`, with session persistence `sp` (or none). */
function worldOf(backends: BackendSpec[], sp: Record<string, unknown> | null = { sessionName: "s", absoluteTimeout: "1h" }) {
  return {
    table: compile(
      buildGraph({
        gateways: [{ gateway: "infra/gw", listeners: [{ name: "http" }] }],
        routes: [{ route: "infra/r", parents: [{ gateway: "infra/gw" }], rules: [{ backends, ...(sp ? { sessionPersistence: sp } : {}) }] }],
      }),
    ),
  };
}
const req = (r: Partial<GatewayRequest> = {}): GatewayRequest => ({ gateway: "infra/gw", path: "/", ...r });

describe("decide with a session", () => {
  const weights = fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 6 });

  it("a valid token for any backend of the rule pins it, whatever the weights (0 included), seed and index; lean agrees", () => {
    fc.assert(
      fc.property(weights, fc.nat(), fc.nat(), fc.nat({ max: 3_599_999 }), fc.boolean(), (ws, pick, seed, age, header) => {
        const k = pick % ws.length;
        const w = worldOf(
          ws.map((weight, i) => ({ name: `b${i}`, weight })),
          header ? { sessionName: "x-s", type: "Header", absoluteTimeout: "1h" } : { sessionName: "s", absoluteTimeout: "1h" },
        );
        const token = encodeSessionToken({ backend: svc(`b${k}`), issuedAtMs: T0 });
        const r = req({ time: T0 + age, headers: header ? { "x-s": token } : { cookie: `a=1; s=${token}` } });
        const d = decide(w, r, { seed, index: seed % 97 });
        expect(d.backend).toEqual(svc(`b${k}`));
        expect(d.outcome).toBe("forward");
        expect(d.session).toEqual({ type: header ? "Header" : "Cookie", name: header ? "x-s" : "s", presented: "valid", pinned: true, endpoint: null });
        const lean = decide(w, r, { seed, index: seed % 97, lean: true });
        expect(lean.backend).toEqual(d.backend);
        expect(lean.session).toEqual(d.session);
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on random cookie headers; without a valid token the draw decides, as without any cookie", () => {
    const pieces = fc.oneof(
      fc.string(),
      fc.constantFrom("s=", "s", ";", "; ", "=", '"', "g2.", "g1.", ",", " s = "),
      fc.constant(`s=${encodeSessionToken({ backend: svc("b9"), issuedAtMs: T0 })}`), // names no backend of the rule
      fc.constant(`s=${encodeSessionToken({ backend: svc("b0"), issuedAtMs: T0 - 7_200_000 })}`), // expired
    );
    // Times past what Date represents, in the request and in a token, still explain without throwing.
    const huge = `s=g2.${Buffer.from("999999999999999||Service|infra|b0|8080|").toString("base64url")}`;
    const far = decide(worldOf([{ name: "b0", weight: 0 }, { name: "b1" }]), req({ time: 1e20, headers: { cookie: huge } }), { explain: true });
    expect(far.session?.presented).toBe("expired");
    expect(far.explain!.join("\n")).toMatch(/ms after the epoch/);
    const w = worldOf([
      { name: "b0", weight: 1 },
      { name: "b1", weight: 3 },
    ]);
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 8 }), fc.nat({ max: 50 }), fc.boolean(), (parts, index, explain) => {
        const cookie = parts.join("");
        const d = decide(w, req({ time: T0, headers: { cookie } }), { index, explain });
        const plain = decide(w, req({ time: T0 }), { index });
        expect(["expired", "unknown", null]).toContain(d.session!.presented);
        expect(d.session!.pinned).toBe(false);
        expect(d.backend).toEqual(plain.backend);
      }),
      { numRuns: 500 },
    );
  });

  it("a rule without sessionPersistence reads no token: the decision has no session", () => {
    const token = encodeSessionToken({ backend: svc("b0"), issuedAtMs: T0 });
    const w = worldOf(
      [
        { name: "b0", weight: 0 },
        { name: "b1", weight: 1 },
      ],
      null,
    );
    for (const lean of [false, true]) {
      const d = decide(w, req({ headers: { cookie: `s=${token}`, s: token } }), { lean });
      expect(d.backend?.name).toBe("b1");
      expect("session" in d).toBe(false);
    }
  });

  it("lean decisions share one frozen session per rule when no token is presented; full ones get their own", () => {
    const w = worldOf([{ name: "b0" }, { name: "b1" }]);
    const a = decide(w, req(), { lean: true, index: 1 });
    const b = decide(w, req(), { lean: true, index: 2 });
    expect(a.session).toBe(b.session);
    expect(Object.isFrozen(a.session)).toBe(true);
    const full = decide(w, req(), { index: 1 });
    expect(full.session).toEqual(a.session);
    expect(Object.isFrozen(full.session)).toBe(false);
  });

  it("a session pinned to an invalid backend answers 500 with its reason; the backend is still reported", () => {
    const w = worldOf([
      { name: "b0", weight: 1 },
      { name: "gone", weight: 0, valid: false, reason: "BackendNotFound" },
    ]);
    const d = decide(w, req({ headers: { cookie: `s=${encodeSessionToken({ backend: svc("gone"), issuedAtMs: T0 })}` } }), { explain: true });
    expect(d).toMatchObject({ outcome: "error", status: 500, reason: "BackendNotFound", backend: { name: "gone" }, session: { presented: "valid", pinned: true } });
    expect(d.explain!.join("\n")).toMatch(/the session pinned to it answers 500/);
  });

  it("the backend identity includes kind, group and port", () => {
    const ref = { name: "b", kind: "Backend", group: "gateway.example.io", port: null, weight: 0 };
    const w = worldOf([{ name: "b", weight: 1 }, ref]);
    const pin = (b: BackendId) => decide(w, req({ headers: { cookie: `s=${encodeSessionToken({ backend: b, issuedAtMs: T0 })}` } })).session?.pinned;
    expect(pin({ group: "gateway.example.io", kind: "Backend", namespace: "infra", name: "b", port: null })).toBe(true);
    expect(pin({ group: "gateway.example.io", kind: "Backend", namespace: "infra", name: "b", port: 8080 })).toBe(false);
    expect(pin({ group: "", kind: "Backend", namespace: "infra", name: "b", port: null })).toBe(false);
    expect(pin(svc("b"))).toBe(true);
    expect(pin(svc("b", 8081))).toBe(false);
  });

  it("without a request time, absoluteTimeout is not checked (decide has no clock)", () => {
    const w = worldOf([
      { name: "b0", weight: 0 },
      { name: "b1", weight: 1 },
    ]);
    const cookie = `s=${encodeSessionToken({ backend: svc("b0"), issuedAtMs: 0 })}`;
    const d = decide(w, req({ headers: { cookie } }), { explain: true });
    expect(d.backend?.name).toBe("b0");
    expect(d.explain!.join("\n")).toMatch(/absoluteTimeout not checked: the request has no time/);
    expect(decide(w, req({ time: T0, headers: { cookie } })).session?.presented).toBe("expired");
  });

  it("absoluteTimeout 0s sets no limit", () => {
    const w = worldOf(
      [
        { name: "b0", weight: 0 },
        { name: "b1", weight: 1 },
      ],
      { sessionName: "s", absoluteTimeout: "0s" },
    );
    const d = decide(w, req({ time: T0 + 365 * 86_400_000, headers: { cookie: `s=${encodeSessionToken({ backend: svc("b0"), issuedAtMs: T0 })}` } }));
    expect(d.backend?.name).toBe("b0");
  });
});
