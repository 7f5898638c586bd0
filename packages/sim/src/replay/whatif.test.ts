import { describe, expect, it } from "vitest";
import type { ManifestObject } from "@gwsim/core";
import { withSource, sourceOf } from "@gwsim/core";
import { moveFlows, whatif, type WhatifReport } from "./whatif.js";
import { evaluateFailIf, evaluateFailIfValue, parseFailIf } from "./fail-if.js";
import { parseSetWeight, setWeights } from "./set-weights.js";
import { decide as fakeDecide, route, type FakeWorld } from "./__tests__/fake-core.js";
import type { TraceRecord } from "./types.js";

const current: FakeWorld = {
  "/checkout": { route: route("checkout", 1, "store"), backends: [{ name: "v1", weight: 90 }, { name: "v2", weight: 10 }] },
  "/cart": { route: route("store", 1, "store"), backends: [{ name: "cart" }] },
  "/legacy": { route: route("legacy", 0, "store"), backends: [{ name: "old" }] },
};
const proposed: FakeWorld = {
  "/checkout": { route: route("checkout", 1, "store"), backends: [{ name: "v1", weight: 50 }, { name: "v2", weight: 50 }] },
  "/cart": { route: route("store", 1, "store"), backends: [{ name: "cart", valid: false }] },
  // /legacy removed: it now answers 404.
};

const req = (path: string): TraceRecord => ({ gateway: "infra/edge", host: "store.example.com", method: "GET", path });

describe("moveFlows", () => {
  it.each([
    { before: { a: 0.9, b: 0.1 }, after: { a: 0.5, b: 0.5 }, want: [["a", "b", 0.4]] },
    { before: { a: 1 }, after: { a: 1 }, want: [] },
    { before: { a: 0.5, b: 0.5 }, after: { c: 1 }, want: [["a", "c", 0.5], ["b", "c", 0.5]] },
    { before: { a: 1 }, after: { b: 0.25, c: 0.75 }, want: [["a", "b", 0.25], ["a", "c", 0.75]] },
    { before: { a: 0.6, b: 0.4 }, after: { a: 0.2, b: 0.3, c: 0.5 }, want: [["a", "c", 0.4], ["b", "c", 0.1]] },
  ])("$before → $after", ({ before, after, want }) => {
    const got = moveFlows(new Map(Object.entries(before)), new Map(Object.entries(after))).map((f) => [f.from, f.to, f.p]);
    expect(got.length).toBe(want.length);
    got.forEach((g, i) => {
      expect(g.slice(0, 2)).toEqual(want[i]!.slice(0, 2));
      expect(g[2]).toBeCloseTo(want[i]![2] as number, 12);
    });
  });
});

describe("whatif on hand-computed cases", () => {
  const trace = [...Array.from({ length: 100 }, () => req("/checkout")), ...Array.from({ length: 10 }, () => req("/cart/1")), ...Array.from({ length: 5 }, () => req("/legacy/x"))];
  const run = () => whatif(current, proposed, trace, { decide: fakeDecide, seed: 4 });

  it("per-backend expected shares before and after", async () => {
    const r = await run();
    const row = (name: string) => r.backends.find((b) => b.name === name)!;
    expect(r.requests).toBe(115);
    expect(row("v1").before.expectedShare).toBeCloseTo(90 / 115, 12);
    expect(row("v1").after.expectedShare).toBeCloseTo(50 / 115, 12);
    expect(row("v2").delta).toBeCloseTo(40 / 115, 12);
    expect(row("old").after).toEqual({ count: 0, share: 0, expectedShare: 0, users: 0, expectedUsers: 0 });
    expect(row("cart").after.expectedShare).toBeCloseTo(10 / 115, 12); // still sent there, but invalid
  });

  it("moves: 40 checkout requests expected from v1 to v2, cart to [invalid], legacy to 404", async () => {
    const r = await run();
    expect(r.moves.map((m) => [`${m.method} ${m.host}${m.path}`, m.from, m.to, Math.round(m.expected * 1e9) / 1e9])).toEqual([
      ["GET store.example.com/checkout", "store/v1:8080", "store/v2:8080", 40],
      ["GET store.example.com/cart/{n}", "store/cart:8080", "store/cart:8080 [invalid]", 10],
      ["GET store.example.com/legacy/x", "store/old:8080", "status 404", 5],
    ]);
    expect(r.moved.expected).toBeCloseTo(55, 9);
  });

  it("new 404s and 500s, with their request classes", async () => {
    const r = await run();
    expect(r.new404).toBe(5);
    expect(r.new500).toBe(10);
    expect(r.fixed404 + r.fixed500).toBe(0);
    expect(r.newFailures).toEqual([
      { status: 500, method: "GET", host: "store.example.com", path: "/cart/{n}", count: 10, example: "GET store.example.com/cart/1" },
      { status: 404, method: "GET", host: "store.example.com", path: "/legacy/x", count: 5, example: "GET store.example.com/legacy/x" },
    ]);
    // Sampled: the same (seed, index) draw maps to v2 more often under 50/50; moved counts every changed destination.
    const v2Before = r.before.backends.find((b) => b.name === "v2")!.count;
    const v2After = r.after.backends.find((b) => b.name === "v2")!.count;
    expect(r.moved.count).toBeGreaterThanOrEqual(15 + Math.abs(v2After - v2Before));
  });

  it("identical worlds move nothing", async () => {
    const r = await whatif(current, current, trace, { decide: fakeDecide, seed: 4 });
    expect(r.moves).toEqual([]);
    expect(r).toMatchObject({ new404: 0, new500: 0, moved: { count: 0, expected: 0 } });
    expect(r.before).toEqual(r.after);
  });
});

describe("--fail-if", () => {
  const report = {
    requests: 1000,
    new404: 3,
    new500: 0,
    fixed404: 1,
    fixed500: 0,
    moved: { count: 120, expected: 118.5 },
    before: {
      statuses: { "404": 7 },
      exposure: { usersMultiBackend: 0 },
      backends: [
        { namespace: "store", name: "checkout-v2", port: 8080, count: 100, share: 0.1, expectedShare: 0.1, users: 40 },
        { namespace: "store", name: "checkout-v1", port: 8080, count: 900, share: 0.9, expectedShare: 0.9, users: 300 },
      ],
    },
    after: {
      statuses: { "404": 10, "500": 2 },
      exposure: { usersMultiBackend: 12 },
      backends: [
        { namespace: "store", name: "checkout-v2", port: 8080, count: 171, share: 0.171, expectedShare: 0.17, users: 80 },
        { namespace: "store", name: "checkout-v2", port: 9090, count: 9, share: 0.009, expectedShare: 0.01, users: 5 },
        { namespace: "store", name: "checkout-v1", port: 8080, count: 810, share: 0.81, expectedShare: 0.82, users: 290 },
      ],
    },
  } as unknown as WhatifReport;

  it.each([
    { src: "share(store/checkout-v2) > 0.15", want: true },
    { src: "share(store/checkout-v2:8080) > 0.171", want: false },
    { src: "share(checkout-v2) >= 18%", want: true }, // both ports, any namespace
    { src: "expectedShare(store/checkout-v2) > 0.179 && expectedShare(store/checkout-v2) < 0.181", want: true },
    { src: "shareBefore(store/checkout-v2) > 0.15", want: false },
    { src: "delta(store/checkout-v1) < -0.05", want: true },
    { src: "new404 > 0", want: true },
    { src: "new500 > 0", want: false },
    { src: "new404 > 0 && new500 > 0", want: false },
    { src: "new404 > 0 || new500 > 0", want: true },
    { src: "!(new404 > 0)", want: false },
    { src: "new500 > 0 || share(store/nope) > 0 || moved / requests > 0.1", want: true },
    { src: "status(404) - statusBefore(404) > 2", want: true },
    { src: "status(503) > 0", want: false },
    { src: "users(store/checkout-v2) > 2 * usersBefore(store/checkout-v2)", want: true },
    { src: "count(store/checkout-v1) + 10 * 2 == 830", want: true },
    { src: "usersMultiBackend > 10 && fixed404 == 1", want: true },
    { src: "1 + 2 * 3 == 7", want: true }, // precedence
    { src: "-1 < 0 && 10 - 4 - 3 == 3", want: true }, // left associative
  ])("$src → $want", ({ src, want }) => {
    const p = parseFailIf(src);
    if (!p.ok) throw new Error(`${p.message} at ${p.column}`);
    expect(evaluateFailIf(p.expr, report)).toBe(want);
  });

  it("values for messages", () => {
    const p = parseFailIf("share(store/checkout-v2:8080)");
    expect(p.ok && evaluateFailIfValue(p.expr, report)).toBe(0.171);
  });

  it.each([
    { src: "", message: "expected a number, a name or (, found end of input", column: 1 },
    { src: "new404 >", message: "expected a number, a name or (, found end of input", column: 9 },
    { src: "share(ns/canary", message: "missing ) after share(", column: 7 },
    { src: "share() > 1", message: "share() needs a backend, e.g. ns/name", column: 7 },
    { src: "status(abc) > 1", message: "status(abc): expected an HTTP status code", column: 8 },
    { src: "bogus > 1", message: "unknown name bogus", column: 1 },
    { src: "new404 > 0 & new500", message: 'unexpected "&"', column: 12 },
    { src: "(new404 > 0", message: "expected ), found end of input", column: 12 },
    { src: "new404 > 0 new500", message: 'expected an operator or the end, found "new500"', column: 12 },
    { src: "share(a/b/c) > 0", message: "share(a/b/c): expected namespace/name[:port]", column: 7 },
    { src: "process.exit(1)", message: 'unexpected "."', column: 8 },
    { src: "constructor > 1", message: "unknown name constructor", column: 1 },
  ])("rejects $src", ({ src, message, column }) => {
    const p = parseFailIf(src);
    expect(p.ok).toBe(false);
    if (p.ok) return;
    expect(p.message.startsWith(message)).toBe(true);
    expect(p.column).toBe(column);
  });
});

describe("setWeights", () => {
  const objects = (): ManifestObject[] => [
    withSource(
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: "checkout", namespace: "store" },
        spec: {
          rules: [
            { name: "forced", backendRefs: [{ name: "v2", port: 8080 }] },
            { name: "split", backendRefs: [{ name: "v1", port: 8080, weight: 90 }, { name: "v2", port: 8080, weight: 10 }] },
          ],
        },
      },
      { file: "r.yaml", line: 1, column: 1, doc: 0, fields: {} },
    ),
    { apiVersion: "v1", kind: "Service", metadata: { name: "v2", namespace: "store" } },
  ];
  const weights = (o: ManifestObject) =>
    ((o.spec as { rules: { backendRefs: { name: string; weight?: number }[] }[] }).rules).map((r) => r.backendRefs.map((b) => `${b.name}=${b.weight ?? "-"}`));

  it.each([
    { spec: "store/checkout/split/v2=50", want: [["v2=-"], ["v1=90", "v2=50"]] },
    { spec: "store/checkout/1/v2:8080=0", want: [["v2=-"], ["v1=90", "v2=0"]] },
    { spec: "store/checkout/v2=25", want: [["v2=25"], ["v1=90", "v2=25"]] }, // every rule
  ])("$spec", ({ spec, want }) => {
    const before = objects();
    const r = setWeights(before, [spec]);
    expect(r.problems).toEqual([]);
    expect(weights(r.objects[0]!)).toEqual(want);
    expect(weights(before[0]!)).toEqual([["v2=-"], ["v1=90", "v2=10"]]); // the input is not modified
    expect(r.objects[1]).toBe(before[1]); // untouched objects keep their identity
    expect(sourceOf(r.objects[0]!)?.file).toBe("r.yaml");
  });

  it.each([
    { spec: "store/checkout/v2", code: "setWeight.syntax" },
    { spec: "store/checkout/v2=-1", code: "setWeight.syntax" },
    { spec: "store/checkout/v2=2000000", code: "setWeight.syntax" },
    { spec: "checkout/v2=1", code: "setWeight.syntax" },
    { spec: "store/nope/v2=1", code: "setWeight.routeNotFound" },
    { spec: "store/checkout/7/v2=1", code: "setWeight.ruleNotFound" },
    { spec: "store/checkout/canary/v2=1", code: "setWeight.ruleNotFound" },
    { spec: "store/checkout/split/v3=1", code: "setWeight.backendNotFound" },
    { spec: "store/checkout/split/v2:9090=1", code: "setWeight.backendNotFound" },
  ])("$spec → $code", ({ spec, code }) => {
    const r = setWeights(objects(), [spec]);
    expect(r.problems.map((p) => p.code)).toEqual([code]);
  });

  it("a rule named with digits wins over the index of that number", () => {
    const named = objects();
    const rules = (named[0]!.spec as { rules: { name: string }[] }).rules;
    rules[0]!.name = "1"; // rule 0 is named "1"; rule 1 is "split"
    expect(weights(setWeights(named, ["store/checkout/1/v2=7"]).objects[0]!)).toEqual([["v2=7"], ["v1=90", "v2=10"]]);
    expect(weights(setWeights(named, ["store/checkout/split/v2=7"]).objects[0]!)).toEqual([["v2=-"], ["v1=90", "v2=7"]]);
    expect(weights(setWeights(objects(), ["store/checkout/0/v2=7"]).objects[0]!)).toEqual([["v2=7"], ["v1=90", "v2=10"]]); // no such name: the index
  });

  it("parses the spec", () => {
    expect(parseSetWeight("a/b/c/d:80=5")).toEqual({ namespace: "a", route: "b", rule: "c", backend: "d", port: 80, weight: 5 });
  });
});
