import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizePath } from "../decide/normalize.js";
import { decide } from "../world.js";
import { validateObjects } from "../schema/validate.js";
import { lint } from "../lint/index.js";
import { matchesPattern, type RequestPattern } from "./targets.js";
import { mutatePath, PATH_MUTATIONS, requests } from "./requests.js";
import { neverRoutes } from "./properties.js";
import { worlds } from "./worlds.js";
import { worldFrom } from "./world-from.js";

const WORLD = worldFrom(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: any
  listeners:
  - {name: http, protocol: HTTP, port: 80, hostname: "*.example.com", allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: app}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  hostnames: [shop.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /api}, headers: [{name: x-version, value: "2"}], queryParams: [{name: debug, value: "1"}]}]
    backendRefs: [{name: svc, port: 80}]
  - matches: [{path: {type: RegularExpression, value: "/img/[a-z]+\\\\.png"}}]
    backendRefs: [{name: svc, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: app}
spec: {ports: [{port: 80}]}
`);

const sample = (pattern: RequestPattern = {}) => fc.sample(requests(WORLD, pattern), { numRuns: 3000, seed: 7 });

describe("requests(world)", () => {
  it("reach the boundaries of the world's matches", () => {
    const rs = sample();
    const norm = rs.map((r) => normalizePath(r.path ?? "/").path);
    const hosts = new Set(rs.map((r) => r.host!.toLowerCase().replace(/:\d+$/, "")));
    const raw = rs.map((r) => r.path ?? "");
    // hosts: the route's, the wildcard's expansions and its bare suffix (a near miss)
    expect([...hosts]).toEqual(expect.arrayContaining(["shop.example.com", "a.example.com", "example.com"]));
    expect(rs.some((r) => /[A-Z]/.test(r.host!))).toBe(true);
    // paths: exact boundary, trailing slash, segment near miss, child, case, encoding, dot segments
    for (const p of ["/api", "/api/", "/apix", "/ap", "/API"]) expect(norm).toContain(p);
    expect(norm.some((p) => p.startsWith("/api/"))).toBe(true);
    expect(raw.some((p) => /%[0-9A-F]{2}/.test(p))).toBe(true);
    expect(raw.some((p) => /%([0-9][a-f]|[a-f][0-9a-f])/.test(p))).toBe(true);
    expect(raw.some((p) => p.includes("/../"))).toBe(true);
    expect(raw.some((p) => p.includes("/./"))).toBe(true);
    expect(raw.some((p) => p.includes("//"))).toBe(true);
    // regex paths: a sample that matches the regex
    expect(norm.some((p) => /^\/img\/[a-z]+\.png$/.test(p))).toBe(true);
    // header and query values that just match and just miss; query names in the other case
    const headerValues = rs.flatMap((r) => Object.entries(r.headers ?? {}).filter(([k]) => k.toLowerCase() === "x-version").flatMap(([, v]) => v));
    expect(headerValues).toEqual(expect.arrayContaining(["2", "2x", ""]));
    const queries = raw.filter((p) => p.includes("?")).map((p) => p.split("?")[1]);
    expect(queries.some((q) => q!.includes("debug=1"))).toBe(true);
    expect(queries.some((q) => q!.includes("debug=1x"))).toBe(true);
    expect(queries.some((q) => q!.includes("DEBUG=1"))).toBe(true);
  });

  it("land on every outcome: the rule, a 404 by path and by host", () => {
    const outcomes = new Set(sample().map((r) => `${decide(WORLD, r).outcome}`));
    expect([...outcomes]).toEqual(expect.arrayContaining(["forward", "notFound"]));
  });

  it("with a pattern, every request belongs to it", () => {
    const pattern: RequestPattern = { host: "shop.example.com", path: "/api", method: "POST", headers: { "x-version": "2" } };
    const rs = sample(pattern);
    expect(rs.every((r) => matchesPattern(pattern, r))).toBe(true);
    // and they still vary below the prefix
    expect(new Set(rs.map((r) => normalizePath(r.path!).path)).size).toBeGreaterThan(5);
  });

  // A typo in the pattern's gateway made every request a GatewayNotFound, so neverRoutes held for it.
  it("a pattern naming a Gateway the world does not have is a TypeError naming the world's Gateways", () => {
    expect(() => requests(WORLD, { gateway: "infra/gateway" })).toThrow(TypeError);
    expect(() => requests(WORLD, { gateway: "gw" })).toThrow(/request pattern gateway "gw" \(default\/gw\) is not a Gateway of the world: infra\/gw/);
    expect(() => neverRoutes(WORLD, { gateway: "infra/gateway" }, "app/*")).toThrow(/not a Gateway of the world/);
    expect(sample({ gateway: "infra/gw" }).every((r) => r.gateway === "infra/gw")).toBe(true);
  });

  // "For any value of x-version": the header once (no second copy in the other case), with the
  // world's own values and arbitrary ones.
  it("a pattern header given as true: present once, with the world's values and any other", () => {
    const pattern: RequestPattern = { path: "/api", headers: { "x-version": true } };
    const rs = sample(pattern);
    expect(rs.every((r) => matchesPattern(pattern, r))).toBe(true);
    const copies = rs.map((r) => Object.keys(r.headers ?? {}).filter((k) => k.toLowerCase() === "x-version"));
    expect(copies.every((c) => c.length === 1)).toBe(true);
    const values = new Set(rs.map((r) => r.headers!["x-version"]));
    expect(values).toContain("2");
    expect(values.size).toBeGreaterThan(20);
    expect(matchesPattern(pattern, { path: "/api" })).toBe(false);
    expect(matchesPattern(pattern, { path: "/api", headers: { "X-Version": "" } })).toBe(true);
  });

  it("a wildcard host pattern gives hosts under it, never the bare suffix", () => {
    const rs = sample({ host: "*.example.com" });
    expect(rs.every((r) => r.host!.toLowerCase().replace(/:\d+$/, "").endsWith(".example.com"))).toBe(true);
  });

  it("decide never throws on them, and says something for each", () => {
    fc.assert(
      fc.property(requests(WORLD), (r) => {
        const d = decide(WORLD, r);
        expect(["forward", "redirect", "respond", "notFound", "error", "reject"]).toContain(d.outcome);
      }),
    );
  });

  it("each path mutation keeps the path absolute", () => {
    fc.assert(
      fc.property(fc.constantFrom("/", "/a", "/a/", "/a/b", "/ab/c/"), fc.constantFrom(...PATH_MUTATIONS), (p, m) => {
        expect(mutatePath(p, m).startsWith("/")).toBe(true);
      }),
    );
  });
});

describe("mutatePath", () => {
  const pathArb = fc.array(fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@-]{0,6}$/), { minLength: 1, maxLength: 4 }).map((s) => `/${s.join("/")}`);

  it("percent-encoding (either hex case) changes the text but not the path the gateway routes", () => {
    fc.assert(
      fc.property(pathArb, fc.constantFrom("percent-encode", "percent-encode-lower") as fc.Arbitrary<"percent-encode" | "percent-encode-lower">, (p, m) => {
        const out = mutatePath(p, m);
        expect(normalizePath(out)).toEqual(normalizePath(p));
        expect(out.split("/").length).toBe(p.split("/").length);
        if (/[A-Za-z0-9._~-]/.test(p)) expect(out).toMatch(/%[0-9A-Fa-f]{2}/);
      }),
    );
  });

  it("lower-case hex: an escape with a lower-case letter when the path has such a character, never an encoded slash", () => {
    expect(mutatePath("/api/json", "percent-encode-lower")).toBe("/api/%6ason");
    expect(mutatePath("/docs/v1", "percent-encode-lower")).toBe("/d%6fcs/v1");
    expect(mutatePath("/api/v1", "percent-encode-lower")).toBe("/api/%761");
    expect(mutatePath("/api/v1", "percent-encode")).toBe("/api/%761");
    expect(mutatePath("/", "percent-encode-lower")).toBe("/");
  });
});

describe("worlds()", () => {
  it("are valid (schema and CEL), build, and lint without throwing", () => {
    fc.assert(
      fc.property(worlds(), (objects) => {
        const { diagnostics } = validateObjects(objects);
        expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
        const w = worldFrom(objects);
        expect(w.graph.routes.length).toBeGreaterThan(0);
        lint(w);
      }),
      { numRuns: 200 },
    );
  });

  it("options out of range are a TypeError naming the option and its range", () => {
    expect(() => worlds({ maxRoutes: 0 })).toThrow(/maxRoutes must be an integer from 1 up, got 0/);
    expect(() => worlds({ maxRoutes: 1.5 })).toThrow(/maxRoutes/);
    expect(() => worlds({ maxRules: 0 })).toThrow(/maxRules must be an integer from 1 to 16, got 0/);
    expect(() => worlds({ maxRules: 17 })).toThrow(/maxRules must be an integer from 1 to 16/);
    expect(() => worlds({ namespaces: [] })).toThrow(/namespaces must be a non-empty array/);
    expect(() => worlds({ namespaces: ["team-a", "Bad_NS"] })).toThrow(/namespaces must be DNS labels .*"Bad_NS"/);
  });

  it("are valid at the edges of the options (one namespace, one route, 16 rules, many routes)", () => {
    for (const options of [{ namespaces: ["solo"], maxRoutes: 1, maxRules: 1 }, { maxRules: 16 }, { maxRoutes: 30, namespaces: ["a", "b", "a"] }]) {
      for (const objects of fc.sample(worlds(options), { numRuns: 15, seed: 7 })) {
        expect(validateObjects(objects).diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      }
    }
  });

  it("route requests somewhere at least some of the time", () => {
    let forwarded = 0;
    fc.assert(
      fc.property(worlds(), (objects) => {
        const w = worldFrom(objects);
        for (const r of fc.sample(requests(w), { numRuns: 20, seed: 1 })) if (decide(w, r).outcome === "forward") forwarded++;
      }),
      { numRuns: 50, seed: 3 },
    );
    expect(forwarded).toBeGreaterThan(50);
  });
});

describe("query params in a pattern", () => {
  const firstValue = (path: string | undefined, name: string): string | undefined => {
    const q = (path ?? "").split("?")[1] ?? "";
    for (const pair of q.split("&")) {
      const [n, v = ""] = pair.split("=");
      if (decodeURIComponent(n!) === name) return decodeURIComponent(v);
    }
    return undefined;
  };

  it("an exact value: every request carries it first, once, and the rule that asks for it is reached", () => {
    const got = sample({ query: { debug: "1" }, path: "/api", headers: { "x-version": "2" }, host: "shop.example.com" });
    expect(got.length).toBeGreaterThan(100);
    for (const r of got) {
      expect(firstValue(r.path, "debug"), r.path).toBe("1");
      expect((r.path!.match(/(^|[?&])debug=/g) ?? []).length).toBe(1);
      expect(matchesPattern({ query: { debug: "1" } }, r)).toBe(true);
    }
    // With the path, header and param the rule asks for, some requests reach its backend.
    expect(got.some((r) => decide(WORLD, r).backend?.name === "svc")).toBe(true);
  });

  it("true: any value, the world's own among them", () => {
    const got = sample({ query: { debug: true } });
    for (const r of got) expect(firstValue(r.path, "debug"), r.path).not.toBeUndefined();
    const values = new Set(got.map((r) => firstValue(r.path, "debug")));
    expect(values.has("1")).toBe(true);
    expect(values.size).toBeGreaterThan(3);
  });

  it("matchesPattern reads the first occurrence, case-sensitive names", () => {
    expect(matchesPattern({ query: { a: "1" } }, { path: "/x?a=1&a=2" })).toBe(true);
    expect(matchesPattern({ query: { a: "2" } }, { path: "/x?a=1&a=2" })).toBe(false);
    expect(matchesPattern({ query: { A: true } }, { path: "/x?a=1" })).toBe(false);
    expect(matchesPattern({ query: { a: true } }, { path: "/x" })).toBe(false);
  });
});
