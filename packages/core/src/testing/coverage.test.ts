/**
 * requests() reaches every rule of a world, RegularExpression and combined matches included,
 * within a bounded number of samples: a property over the world cannot then "hold" only because
 * the generator never built the request that breaks it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileRegex } from "../model/regex.js";
import { decide } from "../world.js";
import { neverRoutes } from "./properties.js";
import { requests } from "./requests.js";
import { vocabularyOf } from "./vocabulary.js";
import { worldFrom } from "./world-from.js";

const rule = (name: string, match: string) => `
  - name: ${name}
    matches: [${match}]
    backendRefs: [{name: ${name}, port: 80}]`;

const RULES: [string, string][] = [
  ["orders", `{path: {type: RegularExpression, value: "/users/[0-9]+/orders"}}`],
  ["beta", `{path: {type: PathPrefix, value: /v2}, headers: [{name: X-Version, value: beta}]}`],
  ["env", `{path: {type: PathPrefix, value: /v3}, headers: [{type: RegularExpression, name: x-env, value: "prod-(eu|us)"}]}`],
  ["search", `{path: {type: Exact, value: /search}, queryParams: [{name: q, value: shoes}]}`],
  ["upload", `{path: {type: PathPrefix, value: /upload}, method: PUT}`],
  ["paged", `{queryParams: [{type: RegularExpression, name: page, value: "[0-9]{2}"}]}`],
  ["pdf", `{path: {type: RegularExpression, value: "/files/[a-z]+/.*\\\\.pdf"}}`],
  ["combined", `{path: {type: Exact, value: /c}, method: DELETE, headers: [{name: a, value: "1"}, {name: b, value: "2"}], queryParams: [{name: z, value: "9"}]}`],
  ["tenant", `{path: {type: PathPrefix, value: /t}, headers: [{type: RegularExpression, name: x-tenant, value: "[a-z]{3}-[0-9]{4}"}], queryParams: [{type: RegularExpression, name: sig, value: "[A-F0-9]{8}"}]}`],
];

const WORLD = worldFrom(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: any
  listeners:
  - {name: http, protocol: HTTP, port: 80, hostname: "*.example.com", allowedRoutes: {namespaces: {from: All}}}
  - {name: alt, protocol: HTTP, port: 8080, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: a}
spec:
  parentRefs: [{name: edge, namespace: infra}]
  hostnames: ["*.shop.example.com", "api.example.com"]
  rules:${RULES.map(([name, match]) => rule(name, match)).join("")}
${RULES.map(([name]) => `---\napiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: a}\nspec: {ports: [{port: 80}]}\n`).join("")}`);

describe("requests() coverage", () => {
  it("the world is clean", () => {
    expect(WORLD.problems).toEqual([]);
  });

  it("hits every rule within 2000 samples (fixed seed), each at least 5 times", () => {
    const hits = new Map<string, number>();
    for (const r of fc.sample(requests(WORLD), { numRuns: 2000, seed: 42 })) {
      const name = decide(WORLD, r).route?.ruleName;
      if (name) hits.set(name, (hits.get(name) ?? 0) + 1);
    }
    const missed = RULES.map(([name]) => name).filter((name) => (hits.get(name) ?? 0) < 5);
    expect(missed, JSON.stringify(Object.fromEntries(hits))).toEqual([]);
  });

  it("neverRoutes finds the request that reaches each rule's backend", () => {
    for (const [name] of RULES) expect(neverRoutes(WORLD, {}, `a/${name}`, { seed: 1, numRuns: 1000 }), name).not.toBeNull();
  });

  it("header and query words of a RegularExpression match are real matches, not the path lead", () => {
    const vocab = vocabularyOf([WORLD]);
    const full = (re: string) => compileRegex(re);
    const env = vocab.headers.find((h) => h.name === "x-env")!;
    expect(env.values.some((v) => (full("prod-(eu|us)") as { regex: RegExp }).regex.test(v))).toBe(true);
    expect(env.patterns).toEqual(["prod-(eu|us)"]);
    const page = vocab.queries.find((q) => q.name === "page")!;
    expect(page.values.some((v) => /^[0-9]{2}$/.test(v))).toBe(true);
    expect(page.values).not.toContain("/");
  });

  it("hits every GRPCRoute rule too, RegularExpression service and method included", () => {
    const grpc = worldFrom(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: any
  listeners: [{name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: g, namespace: a}
spec:
  parentRefs: [{name: edge, namespace: infra}]
  hostnames: [grpc.example.com]
  rules:
  - name: cart
    matches: [{method: {type: RegularExpression, service: "shop\\\\.v[0-9]+\\\\.Cart", method: "(Get|List)Items"}}]
    backendRefs: [{name: cart, port: 80}]
  - name: pay
    matches: [{method: {service: shop.Pay, method: Charge}, headers: [{type: RegularExpression, name: x-region, value: "eu-[a-z]+"}]}]
    backendRefs: [{name: pay, port: 80}]
  - name: rest
    backendRefs: [{name: rest, port: 80}]
${["cart", "pay", "rest"].map((n) => `---\napiVersion: v1\nkind: Service\nmetadata: {name: ${n}, namespace: a}\nspec: {ports: [{port: 80}]}\n`).join("")}`);
    expect(grpc.problems).toEqual([]);
    const hits = new Map<string, number>();
    for (const r of fc.sample(requests(grpc), { numRuns: 600, seed: 42 })) {
      const name = decide(grpc, r).route?.ruleName;
      if (name) hits.set(name, (hits.get(name) ?? 0) + 1);
    }
    expect(["cart", "pay", "rest"].filter((n) => (hits.get(n) ?? 0) < 5), JSON.stringify(Object.fromEntries(hits))).toEqual([]);
  });

  it("with a pattern, targeted requests still belong to it", () => {
    for (const r of fc.sample(requests(WORLD, { port: 8080, method: "DELETE" }), { numRuns: 200, seed: 3 })) {
      expect(r.port).toBe(8080);
      expect(r.method).toBe("DELETE");
    }
  });
});
