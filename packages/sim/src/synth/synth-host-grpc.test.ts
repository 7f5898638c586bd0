/** Host templates and gRPC classes in synth profiles: errors, statistics, stream independence, routing. */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildWorld, checkRequest, decide, parseManifests } from "@gwsim/core";
import { chiSquareTest } from "../stats/chi-square.js";
import { jsonlParser } from "../trace/jsonl.js";
import { parseSynthProfile, type SynthProfile } from "./profile.js";
import { synthesize, synthesizeJsonl } from "./synthesize.js";

function profile(text: string): SynthProfile {
  const r = parseSynthProfile(text, "p.yaml");
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.profile;
}

const base = "defaults: {gateway: ns/gw}\nclasses:\n  - path: /a\n";
const grpcBase = "defaults: {gateway: ns/gw}\nclasses:\n  - grpc: {service: pkg.Svc, method: Get}\n";

describe("profile errors for host templates and gRPC classes name file, line, column and field", () => {
  it.each([
    { name: "space in a host option", yaml: `${base}    host: "{choice:a b|c}.example.com"`, at: [4, 11], path: "classes[0].host", msg: '"a b" cannot be part of a host name' },
    { name: "underscore in host text", yaml: `${base}    host: "t_{int:1-5}.example.com"`, at: [4, 11], path: "classes[0].host", msg: '"t_" cannot be part of a host name' },
    { name: "percent escape in a host option", yaml: `${base}    host: "{choice:a%41|b}.x"`, at: [4, 11], path: "classes[0].host", msg: "cannot be part of a host name" },
    { name: "{user} in a host", yaml: `${base}    host: "{user}.example.com"\nusers: {count: 3}`, at: [4, 11], path: "classes[0].host", msg: "{user} cannot be part of a host" },
    { name: "host may render empty", yaml: `${base}    host: "{choice:a|}"`, at: [4, 11], path: "classes[0].host", msg: "empty host name" },
    { name: "placeholder in the port", yaml: `${base}    host: "a.example:{int:1-9}"`, at: [4, 11], path: "classes[0].host", msg: "a port must be literal digits" },
    { name: "port too high", yaml: `${base}    host: "{choice:a|b}.example:99999"`, at: [4, 11], path: "classes[0].host", msg: "port above 65535" },
    { name: "bad host template", yaml: `${base}    host: "{int:9-1}.example"`, at: [4, 11], path: "classes[0].host", msg: "MIN is above MAX" },
    { name: "literal brace in a host", yaml: `${base}    host: "a{{b"`, at: [4, 11], path: "classes[0].host", msg: "cannot be part of a host name" },
    { name: "bad host template in defaults", yaml: `defaults: {gateway: ns/gw, host: "{choice:x y}.z"}\nclasses: [{path: /}]`, at: [1, 34], path: "defaults.host", msg: "cannot be part of a host name" },
    { name: "grpc and path", yaml: `${grpcBase}    path: /x`, at: [4, 5], path: "classes[0].path", msg: "a gRPC class cannot set path" },
    { name: "grpc and method", yaml: `${grpcBase}    method: POST`, at: [4, 5], path: "classes[0].method", msg: "a gRPC class cannot set method" },
    { name: "grpc and query", yaml: `${grpcBase}    query: {a: b}`, at: [4, 5], path: "classes[0].query", msg: "cannot set query" },
    { name: "grpc over HTTP/1.1", yaml: `${grpcBase}    protocol: HTTP/1.1`, at: [4, 15], path: "classes[0].protocol", msg: "gRPC needs HTTP/2 or h2c" },
    { name: "grpc over HTTP/1.1 from defaults", yaml: grpcBase.replace("gateway: ns/gw", "gateway: ns/gw, protocol: websocket"), at: [3, 11], path: "classes[0].grpc", msg: "(from defaults)" },
    { name: "grpc service not dotted identifiers", yaml: grpcBase.replace("pkg.Svc", "pkg..Svc"), at: [3, 21], path: "classes[0].grpc.service", msg: "not a gRPC service name" },
    { name: "grpc service option with a slash", yaml: grpcBase.replace("pkg.Svc", '"pkg.{choice:A|B/C}"'), at: [3, 21], path: "classes[0].grpc.service", msg: '"pkg.B/C"' },
    { name: "grpc method with a dot", yaml: grpcBase.replace("method: Get", "method: a.Get"), at: [3, 38], path: "classes[0].grpc.method", msg: "not a gRPC method name" },
    { name: "grpc method starting with a digit", yaml: grpcBase.replace("method: Get", 'method: "{choice:Get|1st}"'), at: [3, 38], path: "classes[0].grpc.method", msg: '"1st"' },
    { name: "grpc method may be empty", yaml: grpcBase.replace("method: Get", 'method: "{choice:Get|}"'), at: [3, 38], path: "classes[0].grpc.method", msg: 'can render ""' },
    { name: "grpc method with {hex}", yaml: grpcBase.replace("method: Get", 'method: "Get{hex:3}"'), at: [3, 38], path: "classes[0].grpc.method", msg: "only literal text, {int:...} and {choice" },
    { name: "grpc method starting with {int}", yaml: grpcBase.replace("method: Get", 'method: "{int:1-3}Get"'), at: [3, 38], path: "classes[0].grpc.method", msg: 'can render "1Get"' },
    { name: "grpc method with a negative {int}", yaml: grpcBase.replace("method: Get", 'method: "Get{int:-2-5}"'), at: [3, 38], path: "classes[0].grpc.method", msg: 'can render "Get-2"' },
    { name: "grpc service segment starting with {int}", yaml: grpcBase.replace("pkg.Svc", '"pkg.{int:0-99999999999}x"'), at: [3, 21], path: "classes[0].grpc.service", msg: 'can render "pkg.0x"' },
    { name: "grpc service {int} after a choice that may end a segment", yaml: grpcBase.replace("pkg.Svc", '"pkg.{choice:s|}{int:1-8}"'), at: [3, 21], path: "classes[0].grpc.service", msg: 'can render "pkg.1"' },
    { name: "grpc over scheme tcp", yaml: `${grpcBase}    scheme: tcp`, at: [4, 13], path: "classes[0].scheme", msg: "gRPC needs scheme http or https, not tcp" },
    { name: "grpc over scheme tls from defaults", yaml: grpcBase.replace("gateway: ns/gw", "gateway: ns/gw, scheme: tls"), at: [3, 11], path: "classes[0].grpc", msg: "not tls (from defaults)" },
    { name: "grpc over scheme udp", yaml: `${grpcBase}    scheme: udp
    port: 53`, at: [4, 13], path: "classes[0].scheme", msg: "not udp" },
    { name: "grpc without method", yaml: grpcBase.replace(", method: Get", ""), at: [3, 11], path: "classes[0].grpc.method", msg: "required" },
    { name: "grpc typo", yaml: grpcBase.replace("method: Get", "method: Get, mehtod: x"), at: [3, 43], path: "classes[0].grpc.mehtod", msg: '(did you mean "method"?)' },
  ])("$name", ({ yaml, at, path, msg }) => {
    const r = parseSynthProfile(yaml, "p.yaml");
    expect(r.ok).toBe(false);
    const d = r.diagnostics.find((x) => x.path === path);
    expect(d, JSON.stringify(r.diagnostics)).toBeDefined();
    expect([d!.file, d!.line, d!.column]).toEqual(["p.yaml", ...at]);
    expect(d!.message).toContain(msg);
  });

  it("valid host templates and gRPC classes are accepted", () => {
    for (const host of ["tenant-{int:1-50}.example.com", "{choice:EU|us}.api.example.com:8443", "{hex:4}-{alnum:3}.x", "{uuid}.svc", "{int:-3--1}x", "{choice:a|}b.example"]) {
      expect(parseSynthProfile(`${base}    host: ${JSON.stringify(host)}`).diagnostics, host).toEqual([]);
    }
    expect(parseSynthProfile(grpcBase.replace("pkg.Svc", '"{choice:a.v1|b_2.Svc}"').replace("method: Get", 'method: "{choice:Get|List*3}"')).diagnostics).toEqual([]);
    expect(parseSynthProfile(`${grpcBase}    protocol: h2c\n    headers: {x-tenant: "{int:1-3}"}`).diagnostics).toEqual([]);
    expect(parseSynthProfile(`${grpcBase}    scheme: https\n    port: 443`).diagnostics).toEqual([]);
    for (const [service, method] of [["shard{int:1-8}.Store", "Get{int:0-3}"], ["a_{int:0-99999999999}.v1.Svc", "M{int:7-7}x{choice:a|b}"], ["_{int:1-2}", "{choice:Get|List}{int:1-2}"]]) {
      expect(parseSynthProfile(grpcBase.replace("pkg.Svc", JSON.stringify(service)).replace("method: Get", `method: ${JSON.stringify(method)}`)).diagnostics, `${service} ${method}`).toEqual([]);
    }
  });
});

describe("existing profiles are byte-identical", () => {
  // Hashes of 20,000 lines (seed 42) made by the code before host templates and gRPC classes (5eaa7db~1).
  const rich = `start: "2026-03-29T01:30:00+02:00"
rate: 3
daily: [1,1,1,1,1,1,2,3,4,5,5,5,5,5,5,5,4,4,3,3,2,2,1,1]
defaults: {gateway: ns/gw, host: "shop.example:8080"}
users: {count: 500, distribution: {type: pareto, alpha: 1.3}, anonymous: 0.25, prefix: "u#"}
classes:
  - {share: 3, path: "/p/{choice:sp ace|ünï|a/b*2|%}/{user}?x={int:1-99999999999}", method: {GET: 3, POST: 1, PUT: 0}}
  - {share: 2, host: "[::1]:8443", path: "/u/{uuid}", query: {"q w": "{choice:a&b|=}", n: {probability: 0.4, values: {"x y": 1, "#": 2}}}}
  - {share: 1, service: ns/api, path: "/h/{hex:5}/{alnum:3}", headers: {x-ua: "{choice:Mozilla/5.0 (X11)|curl/8}", x-c: {probability: 0.1, value: "{int:-5--1}"}}}
`;
  it.each([
    { name: "store", text: readFileSync(new URL("../../../examples/profiles/store.yaml", import.meta.url), "utf8"), sha: "430ee471b182099308e60d3de444d7f2b50adbb09f41ff3f1f742f3c35bd1dea" },
    { name: "rich", text: rich, sha: "a426e376aa5d905eee2ab5489d82fd93942078d35eb1e14d68bef66c4c3a24ed" },
  ])("$name", ({ text, sha }) => {
    const h = createHash("sha256");
    for (const line of synthesizeJsonl(profile(text), { count: 20_000, seed: 42 })) h.update(line);
    expect(h.digest("hex")).toBe(sha);
  });
});

describe("host templates", () => {
  it("draw choices with their weights, lower-cased", () => {
    const p = profile(`${base}    host: "{choice:EU*3|us*1|ap*0.5|never*0}.api.example.com"`);
    const n = 20_000;
    const counts = new Map<string, number>();
    for (const r of synthesize(p, { count: n, seed: 3 })) counts.set(r.host!, (counts.get(r.host!) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(["ap.api.example.com", "eu.api.example.com", "us.api.example.com"]);
    const weights = { "eu.api.example.com": 3, "us.api.example.com": 1, "ap.api.example.com": 0.5 };
    const keys = Object.keys(weights) as (keyof typeof weights)[];
    const r = chiSquareTest(keys.map((k) => counts.get(k) ?? 0), keys.map((k) => (n * weights[k]) / 4.5));
    expect(r!.pValue).toBeGreaterThan(1e-4);
    // and a uniform {choice} is visibly not what the weights say
    const flat = chiSquareTest(keys.map((k) => counts.get(k) ?? 0), keys.map(() => n / 3));
    expect(flat!.pValue).toBeLessThan(1e-6);
  });

  it("{int} in a host stays in bounds and keeps the literal port", () => {
    const p = profile(`defaults: {gateway: ns/gw, host: "tenant-{int:1-50}.example.com:8443"}\nclasses: [{path: /}]`);
    const seen = new Set<number>();
    for (const r of synthesize(p, { count: 3000, seed: 1 })) {
      const m = /^tenant-(\d+)\.example\.com:8443$/.exec(r.host!);
      expect(m, r.host).not.toBeNull();
      seen.add(Number(m![1]));
    }
    expect(Math.min(...seen)).toBe(1);
    expect(Math.max(...seen)).toBe(50);
  });

  it("adding a host placeholder changes only the host: every other field of every request is the same", () => {
    const yaml = (host: string) => `
defaults: {gateway: ns/gw, host: ${host}}
users: {count: 100, anonymous: 0.2}
classes:
  - {share: 3, path: "/a/{int:1-100}", method: {GET: 2, POST: 1}, headers: {x-r: "{uuid}"}, query: {q: {probability: 0.5, value: "{alnum:4}"}}}
  - {share: 1, path: "/b/{user}", host: "{choice:x|y}.other.example"}
`;
    const literal = [...synthesize(profile(yaml("shop.example.com")), { count: 2000, seed: 9 })];
    const templated = [...synthesize(profile(yaml('"{choice:eu|us}-{hex:3}.shop.example.com"')), { count: 2000, seed: 9 })];
    expect(templated.map((r) => ({ ...r, host: undefined }))).toEqual(literal.map((r) => ({ ...r, host: undefined })));
    expect(templated.filter((r) => r.path!.startsWith("/a/")).every((r) => /^(eu|us)-[0-9a-f]{3}\.shop\.example\.com$/.test(r.host!))).toBe(true);
    // the host sits where a literal host does, so the line's key order does not change
    expect(Object.keys(templated[0]!)).toEqual(Object.keys(literal[0]!));
  });

  it("--count N is a prefix of a longer trace, and the same seed gives the same bytes", () => {
    const p = profile(`${base}    host: "{choice:a|b}{int:1-9}.example"\n  - {path: /b, host: "{hex:2}.example"}`);
    const long = [...synthesizeJsonl(p, { count: 400, seed: 2 })];
    expect([...synthesizeJsonl(p, { count: 150, seed: 2 })]).toEqual(long.slice(0, 150));
    expect([...synthesizeJsonl(p, { count: 400, seed: 2 })].join("")).toBe(long.join(""));
    expect([...synthesizeJsonl(p, { count: 400, seed: 3 })].join("")).not.toBe(long.join(""));
  });

  it("property: any accepted host template renders a valid host (lower-case reg-name, optional port)", async () => {
    const fc = (await import("fast-check")).default;
    const piece = fc.oneof(
      fc.string({ unit: "grapheme-ascii", maxLength: 5 }).filter((s) => !/[{}|*]/.test(s)),
      fc.constantFrom("{int:0-99}", "{int:-9-9}", "{hex:3}", "{alnum:2}", "{uuid}", "{user}"),
      fc.array(fc.string({ unit: "grapheme-ascii", maxLength: 4 }).filter((s) => !/[{}|*]/.test(s)), { minLength: 1, maxLength: 3 }).map((o) => `{choice:${o.join("|")}}`),
    );
    const HOST = /^[a-z0-9.-]+(?::(\d{1,5}))?$/;
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 4 }), fc.integer(), (pieces, seed) => {
        const host = pieces.join("");
        if (!/[{}]/.test(host)) return; // literal hosts keep their own (older) rules
        const r = parseSynthProfile(`users: {count: 3}\ndefaults: {gateway: ns/gw}\nclasses: [{path: /, host: ${JSON.stringify(host)}}]`);
        if (!r.ok) return;
        accepted++;
        for (const rec of synthesize(r.profile, { count: 5, seed })) {
          const m = HOST.exec(rec.host!);
          expect(m, `${host} → ${rec.host}`).not.toBeNull();
          if (m![1] !== undefined) expect(Number(m![1])).toBeLessThanOrEqual(65535);
        }
      }),
      { numRuns: 400 },
    );
    expect(accepted).toBeGreaterThan(20); // the property must not pass by refusing everything
  });
});

const WORLD = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gwsim}
spec: {controllerName: gwsim.dev/simulator}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {namespace: ns, name: gw}
spec:
  gatewayClassName: gwsim
  listeners:
    - {name: h2, port: 80, protocol: HTTP, hostname: "*.grpc.example", allowedRoutes: {kinds: [{kind: GRPCRoute}]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {namespace: ns, name: catalog}
spec:
  parentRefs: [{name: gw}]
  hostnames: ["*.grpc.example"]
  rules:
    - matches: [{method: {service: shop.v1.Catalog, method: Get}}]
      backendRefs: [{name: catalog-get, port: 9000}]
    - matches: [{method: {service: shop.v1.Catalog}}]
      backendRefs: [{name: catalog, port: 9000}]
    - matches: [{method: {type: RegularExpression, service: "shop\\\\.v1\\\\..*"}}]
      backendRefs: [{name: shop, port: 9000}]
---
apiVersion: v1
kind: Service
metadata: {namespace: ns, name: catalog-get}
spec: {ports: [{port: 9000}]}
---
apiVersion: v1
kind: Service
metadata: {namespace: ns, name: catalog}
spec: {ports: [{port: 9000}]}
---
apiVersion: v1
kind: Service
metadata: {namespace: ns, name: shop}
spec: {ports: [{port: 9000}]}
`;

describe("gRPC classes", () => {
  const p = profile(`
defaults: {gateway: ns/gw, port: 80, host: "{choice:eu|us}.grpc.example"}
classes:
  - {share: 3, grpc: {service: shop.v1.Catalog, method: "{choice:Get*2|List}"}, headers: {x-tenant: "{int:1-3}"}}
  - {share: 1, grpc: {service: "shop.v1.{choice:Cart|Orders}", method: Put}, protocol: h2c}
`);
  const recs = [...synthesize(p, { count: 3000, seed: 5 })];

  it("emit CONTRACT requests with grpc set and no method or path", () => {
    for (const r of recs) {
      expect(r.grpc).toBeDefined();
      expect(r.method).toBeUndefined();
      expect(r.path).toBeUndefined();
      expect(`${r.grpc!.service}/${r.grpc!.method}`).toMatch(/^shop\.v1\.(?:Catalog\/(?:Get|List)|(?:Cart|Orders)\/Put)$/);
    }
    const catalog = recs.filter((r) => r.grpc!.service === "shop.v1.Catalog");
    const get = catalog.filter((r) => r.grpc!.method === "Get").length;
    expect(Math.abs(get - (catalog.length * 2) / 3)).toBeLessThan(4.5 * Math.sqrt((catalog.length * 2) / 9));
    expect(Math.abs(catalog.length - 2250)).toBeLessThan(4.5 * Math.sqrt(3000 * 0.75 * 0.25));
  });

  it("every generated line routes via decide to the GRPCRoute rule its name selects", () => {
    const parsed = parseManifests(WORLD, { file: "world.yaml" });
    expect(parsed.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const world = buildWorld(parsed.objects);
    const want = (s: string, m: string) => (s === "shop.v1.Catalog" ? (m === "Get" ? "catalog-get" : "catalog") : "shop");
    const seen = new Set<string>();
    const parser = jsonlParser();
    recs.forEach((r, index) => {
      // each line as replay reads it back from the trace file
      const line = parser.parse(JSON.stringify(r));
      if (line === null || typeof line === "string") throw new Error(`unreadable line: ${String(line)}`);
      expect(checkRequest(line).ok).toBe(true);
      const d = decide(world, line, { seed: 1, index });
      expect(d.outcome, JSON.stringify({ line, d })).toBe("forward");
      expect(d.route?.kind).toBe("GRPCRoute");
      expect(d.backend?.name).toBe(want(r.grpc!.service, r.grpc!.method));
      expect(d.forwarded?.path).toBe(`/${r.grpc!.service}/${r.grpc!.method}`);
      seen.add(d.backend!.name);
    });
    expect([...seen].sort()).toEqual(["catalog", "catalog-get", "shop"]);
  });

  it("{int} in gRPC names: uniform over its bounds (chi-square), the names valid; drawn where {choice} draws", () => {
    const p = profile(`defaults: {gateway: ns/gw}\nclasses:\n  - {grpc: {service: "shard{int:1-8}.Store", method: "Get{int:0-2}"}}`);
    const n = 24_000;
    const services = new Map<string, number>();
    const methods = new Map<string, number>();
    for (const r of synthesize(p, { count: n, seed: 4 })) {
      expect(r.grpc!.service).toMatch(/^shard[1-8]\.Store$/);
      services.set(r.grpc!.service, (services.get(r.grpc!.service) ?? 0) + 1);
      methods.set(r.grpc!.method, (methods.get(r.grpc!.method) ?? 0) + 1);
    }
    const shards = Array.from({ length: 8 }, (_, i) => `shard${i + 1}.Store`);
    expect([...services.keys()].sort()).toEqual(shards);
    expect(chiSquareTest(shards.map((k) => services.get(k)!), shards.map(() => n / 8))!.pValue).toBeGreaterThan(1e-4);
    expect([...methods.keys()].sort()).toEqual(["Get0", "Get1", "Get2"]);
    expect(chiSquareTest(["Get0", "Get1", "Get2"].map((k) => methods.get(k)!), [n / 3, n / 3, n / 3])!.pValue).toBeGreaterThan(1e-4);
    // A broken draw (only the low bound, or a skewed one) fails the same test by far.
    expect(chiSquareTest(shards.map((k) => services.get(k)!), shards.map((_, i) => (i < 4 ? n / 6 : n / 12)))!.pValue).toBeLessThan(1e-10);
  });

  it("property: the gRPC name check accepts a template exactly when every rendering is a valid name", async () => {
    const fc = (await import("fast-check")).default;
    // Small pieces, so every rendering can be listed: the check uses one value per {int} sign.
    const text = fc.constantFrom("", "a", "_", "9", ".", "x.", "b1", "-");
    const piece = fc.oneof(
      text.filter((t) => t !== "").map((t) => ({ template: t, renderings: [t] })),
      fc.array(text, { minLength: 1, maxLength: 3 }).filter((o) => o.join("|") !== "").map((o) => ({ template: `{choice:${o.join("|")}}`, renderings: o })),
      fc.tuple(fc.integer({ min: -12, max: 12 }), fc.integer({ min: 0, max: 25 })).map(([min, span]) => ({
        template: `{int:${min}-${min + span}}`,
        renderings: Array.from({ length: span + 1 }, (_, i) => String(min + i)),
      })),
    );
    const RULES = { service: /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/, method: /^[A-Za-z_][A-Za-z0-9_]*$/ };
    const verdicts = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 4 }), fc.constantFrom("service" as const, "method" as const), (pieces, field) => {
        let all = [""];
        for (const p of pieces) all = all.flatMap((r) => p.renderings.map((x) => r + x));
        const valid = all.every((r) => RULES[field].test(r));
        const name = pieces.map((p) => p.template).join("");
        const grpc = field === "service" ? { service: name, method: "Get" } : { service: "pkg.Svc", method: name };
        const r = parseSynthProfile(`defaults: {gateway: ns/gw}\nclasses: [{grpc: ${JSON.stringify(grpc)}}]`);
        verdicts[valid ? "valid" : "invalid"]++;
        expect(r.ok, `${name}: ${JSON.stringify(r.diagnostics)}`).toBe(valid);
      }),
      { numRuns: 600 },
    );
    expect(verdicts.valid).toBeGreaterThan(30);
    expect(verdicts.invalid).toBeGreaterThan(30);
  });

  it("a profile without grpc still emits method and path (GET / when absent)", () => {
    const [r] = [...synthesize(profile("defaults: {gateway: ns/gw}\nclasses: [{}]"), { count: 1, seed: 1 })];
    expect(r).toMatchObject({ method: "GET", path: "/" });
    expect(r!.grpc).toBeUndefined();
  });
});
