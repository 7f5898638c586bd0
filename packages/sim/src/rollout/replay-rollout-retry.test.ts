/**
 * Route rule retries (HTTPRouteRetry) and retry budgets (XBackendTrafficPolicy) in the rollout
 * replay's failed requests: hand-computed expectations on a real world (core's buildWorld and
 * lean decisions, which carry no `retry`: replay-rollout reads it from the route table).
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { buildWorld, decide, parseManifests, type ManifestObject } from "@gwsim/core";
import type { TraceRecord } from "../replay/types.js";
import { seededUniform } from "../replay/split.js";
import { parseErrorRate, replayRollout, type RolloutReplayOptions } from "./replay-rollout.js";
import type { RolloutPlan } from "./types.js";
import type { ErrorCode } from "./retry.js";

const T0 = Date.parse("2026-11-26T10:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

const BASE = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gc}
spec: {controllerName: example.com/gc}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: gc
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: v1, namespace: ns}
spec: {ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: v2, namespace: ns}
spec: {ports: [{port: 8080}]}
`;

/** HTTPRoute ns/app: v1 90, v2 10, with `retry` (YAML flow text) when given. */
const routeWith = (retry: string | null) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: app, namespace: ns}
spec:
  parentRefs: [{name: gw}]
  hostnames: [app.test]
  rules:
  - backendRefs: [{name: v1, port: 8080, weight: 90}, {name: v2, port: 8080, weight: 10}]
${retry === null ? "" : `    retry: ${retry}\n`}`;

const budgetPolicy = (constraint: string) => `---
apiVersion: gateway.networking.x-k8s.io/v1alpha1
kind: XBackendTrafficPolicy
metadata: {name: budget, namespace: ns}
spec:
  targetRefs: [{group: "", kind: Service, name: v2}]
  retryConstraint: ${constraint}
`;

function objectsOf(text: string): ManifestObject[] {
  const parsed = parseManifests(text, { file: "world.yaml" });
  expect(parsed.diagnostics).toEqual([]);
  return parsed.objects;
}

/** One step that holds to the end: v2 is the new version, v1 the old one. */
function planOf(objects: ManifestObject[]): RolloutPlan {
  return {
    ok: true,
    kind: "Rollout",
    name: "ns/app",
    before: objects,
    steps: [{ name: "90/10", actions: ["setWeight 10"], weight: 10, duration: null, hold: "end", objects, canary: ["ns/v2"], stable: ["ns/v1"] }],
    problems: [],
  };
}

const N = 1000;
/** N requests within one 10-second interval (T0 is a multiple of 10 s: one budget interval). */
const trace: TraceRecord[] = Array.from({ length: N }, (_, i) => ({ gateway: "ns/gw", host: "app.test", path: "/", time: at((i * 10) / N), user: `u${i % 50}` }));

async function run(world: string, errorRates: Record<string, number>, errorCodes: Record<string, ErrorCode> = {}, extra: Partial<RolloutReplayOptions<unknown>> = {}) {
  const r = await replayRollout(planOf(objectsOf(world)), trace, { seed: 7, errorRates, errorCodes, ...extra });
  expect(r.steps).toHaveLength(1);
  expect(r.steps[0]!.exposure.requests).toBe(N);
  return r;
}

describe("parseErrorRate: an optional code after the rate", () => {
  it.each([
    ["ns/v2=0.02", { ok: true, key: "ns/v2", rate: 0.02, code: null }],
    ["ns/v2=0.02:503", { ok: true, key: "ns/v2", rate: 0.02, code: 503 }],
    ["ns/v2:8080=2%:500", { ok: true, key: "ns/v2:8080", rate: 0.02, code: 500 }],
    ["new=1%:reset", { ok: true, key: "new", rate: 0.01, code: "reset" }],
    ["old=1%:RESET", { ok: true, key: "old", rate: 0.01, code: "reset" }],
    ["new=1%:429", { ok: true, key: "new", rate: 0.01, code: 429 }],
    ["new=1%:200", { ok: false }],
    ["new=1%:5030", { ok: false }],
    ["new=1%:", { ok: false }],
    ["new=:503", { ok: false }],
  ])("%s", (spec, want) => {
    expect(parseErrorRate(spec)).toEqual(want.ok ? want : { ok: false, message: expect.any(String) });
  });
});

describe("rollout replay: route rule retries", () => {
  it.each<{ what: string; retry: string | null; rates: Record<string, number>; codes: Record<string, ErrorCode>; failed: number; retries: number }>([
    {
      what: "attempts 2, codes [503], canary fails 10% with 503: 0.1 · 0.1³ of the canary share fails",
      retry: "{attempts: 2, codes: [503], backoff: 100ms}",
      rates: { "ns/v2": 0.1 },
      codes: { "ns/v2": 503 },
      failed: N * 0.1 * 0.1 ** 3,
      retries: N * 0.1 * (0.1 + 0.1 ** 2),
    },
    {
      what: "the code defaults to 503",
      retry: "{attempts: 2, codes: [500, 503]}",
      rates: { "ns/v2": 0.1 },
      codes: {},
      failed: N * 0.1 * 0.1 ** 3,
      retries: N * 0.1 * (0.1 + 0.1 ** 2),
    },
    {
      what: "codes that do not include the error's: unchanged",
      retry: "{attempts: 2, codes: [500]}",
      rates: { "ns/v2": 0.1 },
      codes: { "ns/v2": 503 },
      failed: N * 0.1 * 0.1,
      retries: 0,
    },
    {
      what: "no retry: unchanged",
      retry: null,
      rates: { "ns/v2": 0.1 },
      codes: {},
      failed: N * 0.1 * 0.1,
      retries: 0,
    },
    {
      what: "a connection error (reset) is retried by any retry stanza; attempts unset: one retry",
      retry: "{codes: [500]}",
      rates: { new: 0.1 },
      codes: { new: "reset" },
      failed: N * 0.1 * 0.1 ** 2,
      retries: N * 0.1 * 0.1,
    },
    {
      what: "both versions failing, with their own codes: each retried or not by its own",
      retry: "{attempts: 3, codes: [502]}",
      rates: { new: 0.2, old: 0.01 },
      codes: { new: 502, old: 500 },
      failed: N * (0.1 * 0.2 ** 4 + 0.9 * 0.01),
      retries: N * 0.1 * (0.2 + 0.2 ** 2 + 0.2 ** 3),
    },
  ])("$what", async ({ retry, rates, codes, failed, retries }) => {
    const r = await run(BASE + routeWith(retry), rates, codes);
    const without = N * (0.1 * (rates["ns/v2"] ?? rates.new ?? 0) + 0.9 * (rates.old ?? 0));
    for (const f of [r.steps[0]!.exposure.failed, r.overall.exposure.failed]) {
      expect(f.expected).toBeCloseTo(failed, 9);
      expect(f.expectedWithoutRetries).toBeCloseTo(without, 9);
      expect(f.expectedRetries).toBeCloseTo(retries, 9);
      expect(f.expectedRetriesRefused).toBe(0);
      expect(f.retriesRefused).toBe(0);
      expect(f.drawn).toBeLessThanOrEqual(f.drawnWithoutRetries);
      if (retries === 0) {
        expect(f.drawn).toBe(f.drawnWithoutRetries);
        expect(f.retries).toBe(0);
      }
    }
    expect(r.errorCodes).toEqual(Object.fromEntries(Object.keys(rates).map((k) => [k, codes[k] ?? 503])));
  });

  it("says which rules do not retry the error's code, and when attempts are taken by default", async () => {
    const unretried = await run(BASE + routeWith("{attempts: 2, codes: [500]}"), { "ns/v2": 0.1 });
    expect(unretried.warnings).toContain("HTTPRoute ns/app rule 0 retries codes 500: failures with 503 are not retried");
    const defaulted = await run(BASE + routeWith("{codes: [503]}"), { "ns/v2": 0.1 });
    expect(defaulted.warnings.some((w) => w.startsWith("retry without attempts (HTTPRoute ns/app rule 0): taken as 1 retry"))).toBe(true);
    expect(defaulted.overall.exposure.failed.expected).toBeCloseTo(N * 0.1 * 0.01, 9);
    const plain = await run(BASE + routeWith(null), { "ns/v2": 0.1 });
    expect(plain.warnings.filter((w) => w.includes("retr"))).toEqual([]);
  });

  it("drawn: one seeded draw per attempt, on the backend of the first (recomputed request by request)", async () => {
    const world = BASE + routeWith("{attempts: 2, codes: [503]}");
    const rate = 0.3;
    const r = await run(world, { "ns/v2": rate, "ns/v1": rate }, { "ns/v1": 500 });
    const w = buildWorld(objectsOf(world));
    let failed = 0;
    let failedFirst = 0;
    let retries = 0;
    trace.forEach((t, i) => {
      const backend = decide(w, { gateway: t.gateway, host: t.host, path: t.path }, { seed: 7, index: i }).backend!.name;
      let fail = seededUniform(7, i, "error-rate") < rate;
      if (fail) failedFirst++;
      // v1 fails with 500, which the rule does not retry.
      for (let k = 1; fail && backend === "v2" && k <= 2; k++) {
        retries++;
        fail = seededUniform(7, i, "error-rate/retry", k) < rate;
      }
      if (fail) failed++;
    });
    const f = r.overall.exposure.failed;
    expect(f).toMatchObject({ drawn: failed, drawnWithoutRetries: failedFirst, retries });
    expect(retries).toBeGreaterThan(0);
    expect(f.expected).toBeCloseTo(N * (0.1 * rate ** 3 + 0.9 * rate), 9);
  });

  it("is deterministic: the same seed gives the same drawn figures; another seed draws again", async () => {
    const world = BASE + routeWith("{attempts: 2, codes: [503]}");
    const a = await run(world, { new: 0.4 });
    const b = await run(world, { new: 0.4 });
    expect(b.overall.exposure.failed).toEqual(a.overall.exposure.failed);
    expect(b.steps[0]!.exposure.failed).toEqual(a.steps[0]!.exposure.failed);
    const c = await replayRollout(planOf(objectsOf(world)), trace, { seed: 8, errorRates: { new: 0.4 } });
    expect(c.overall.exposure.failed.expected).toBeCloseTo(a.overall.exposure.failed.expected, 9);
    expect([c.overall.exposure.failed.drawnWithoutRetries, c.overall.exposure.failed.retries]).not.toEqual([a.overall.exposure.failed.drawnWithoutRetries, a.overall.exposure.failed.retries]);
  });

  it("drawn figures agree with the expected ones within noise over many requests", async () => {
    const many: TraceRecord[] = Array.from({ length: 20_000 }, (_, i) => ({ gateway: "ns/gw", host: "app.test", path: "/", time: at(i / 1000) }));
    const r = await replayRollout(planOf(objectsOf(BASE + routeWith("{attempts: 1, codes: [503]}"))), many, { seed: 3, errorRates: { new: 0.5, old: 0.02 } });
    const f = r.overall.exposure.failed;
    for (const [drawn, expected] of [
      [f.drawn, f.expected],
      [f.drawnWithoutRetries, f.expectedWithoutRetries],
      [f.retries, f.expectedRetries],
    ] as const) {
      expect(Math.abs(drawn - expected)).toBeLessThan(5 * Math.sqrt(expected) + 1);
    }
    // 2000 on v2 at 50%, once retried: 500 fail; 18000 on v1 at 2% (503 too), once retried: 7.2.
    expect(f.expected).toBeCloseTo(2000 * 0.5 ** 2 + 18000 * 0.02 ** 2, 6);
  });
});

describe("rollout replay: retries, property over splits, rates and policies", () => {
  const weightedRoute = (w1: number, w2: number, retry: string | null) => routeWith(retry).replace("weight: 90}, {name: v2, port: 8080, weight: 10}", `weight: ${w1}}, {name: v2, port: 8080, weight: ${w2}}`);
  it("expected failed = N·Σ p·rate^(1+n), n the retries the rule gives the code; never above the figure without retries", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 1, max: 10 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom<ErrorCode>(500, 503, "reset"),
        fc.option(fc.record({ attempts: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }), codes: fc.subarray([500, 502, 503]) }), { nil: null }),
        async (w1, w2, r1, r2, code, retry) => {
          const text = retry === null ? null : JSON.stringify({ ...(retry.attempts !== undefined ? { attempts: retry.attempts } : {}), codes: retry.codes });
          const r = await replayRollout(planOf(objectsOf(BASE + weightedRoute(w1, w2, text))), trace.slice(0, 50), { seed: 1, errorRates: { old: r1, new: r2 }, errorCodes: { old: code, new: code } });
          const n = retry === null ? 0 : code === "reset" || retry.codes.includes(code) ? (retry.attempts ?? 1) : 0;
          const p1 = w1 / (w1 + w2);
          expect(r.overall.exposure.expectedStableRequests).toBeCloseTo(50 * p1, 9);
          const f = r.overall.exposure.failed;
          expect(f.expected).toBeCloseTo(50 * (p1 * r1 ** (1 + n) + (1 - p1) * r2 ** (1 + n)), 9);
          expect(f.expectedWithoutRetries).toBeCloseTo(50 * (p1 * r1 + (1 - p1) * r2), 9);
          expect(f.expected).toBeLessThanOrEqual(f.expectedWithoutRetries + 1e-9);
          expect(f.drawn).toBeLessThanOrEqual(f.drawnWithoutRetries);
          expect(f.retries).toBeLessThanOrEqual(n * f.drawnWithoutRetries);
        },
      ),
      { numRuns: 15 },
    );
  }, 60_000);
});

describe("rollout replay: retry budgets (XBackendTrafficPolicy retryConstraint)", () => {
  it("in expectation: an interval's retries are cut to the budget, the refused ones fail (hand-computed)", async () => {
    // 100 first attempts on v2 in one 10 s interval, failing half the time, retried twice: 75 retries
    // wanted. 20% of attempts: 20·100/80 = 25 retries (the floor, 1 per 10 s, is lower). Each retry
    // goes with the share s where 100·(0.5s + 0.25s²) = 25: s = √2 − 1, and a request fails with
    // 1 − 0.5·(1 + 0.5s + 0.25s²) = 1 − 0.5·1.25 = 0.375.
    const world = BASE + routeWith("{attempts: 2, codes: [503]}") + budgetPolicy("{budget: {percent: 20, interval: 10s}, minRetryRate: {count: 1, interval: 10s}}");
    const r = await run(world, { "ns/v2": 0.5 });
    const f = r.overall.exposure.failed;
    const s = Math.SQRT2 - 1;
    expect(f.expectedWithoutRetries).toBeCloseTo(50, 9);
    expect(f.expectedRetries).toBeCloseTo(25, 6);
    expect(f.expected).toBeCloseTo(37.5, 6);
    // Refused: retry 1 of a failed first attempt, or retry 2 after an allowed, failed retry 1.
    expect(f.expectedRetriesRefused).toBeCloseTo(100 * (0.5 * (1 - s) + 0.5 * s * 0.5 * (1 - s)), 6);
    expect(r.steps[0]!.exposure.failed).toEqual(f);
    expect(r.warnings.some((w) => w.startsWith("retry budgets applied (ns/budget on ns/v2)"))).toBe(true);
    // The seeded replay runs the budget request by request (serve's sliding windows, on the
    // requests' clock): it refuses retries, keeps them within 20% of the attempts (plus the floor),
    // and every refused retry is a failed request. With the same draws, a budget only adds failures.
    expect(f.retriesRefused).toBeGreaterThan(0);
    expect(f.retries).toBeLessThanOrEqual(0.2 * (r.overall.exposure.canaryRequests + f.retries) + 1);
    expect(f.drawn).toBeGreaterThanOrEqual(f.retriesRefused);
    const unlimited = await run(BASE + routeWith("{attempts: 2, codes: [503]}"), { "ns/v2": 0.5 });
    expect(f.drawn).toBeGreaterThan(unlimited.overall.exposure.failed.drawn);
    expect(f.drawnWithoutRetries).toBe(unlimited.overall.exposure.failed.drawnWithoutRetries);
  });

  it("a budget large enough changes nothing", async () => {
    const world = BASE + routeWith("{attempts: 2, codes: [503]}");
    const loose = await run(world + budgetPolicy("{budget: {percent: 90, interval: 10s}}"), { "ns/v2": 0.5 });
    const none = await run(world, { "ns/v2": 0.5 });
    expect(loose.overall.exposure.failed.expected).toBeCloseTo(none.overall.exposure.failed.expected, 9);
    expect(loose.overall.exposure.failed.expectedRetries).toBeCloseTo(100 * 0.75, 9);
    expect(loose.overall.exposure.failed.expectedRetriesRefused).toBe(0);
    expect(loose.overall.exposure.failed).toMatchObject({ drawn: none.overall.exposure.failed.drawn, retries: none.overall.exposure.failed.retries, retriesRefused: 0 });
  });
});

describe("rollout report: retries in text, JSON and HTML", () => {
  it("shows failures without and with retries and the retries sent, only when retries did something", async () => {
    const { renderRolloutText, renderRolloutJson } = await import("./text.js");
    const { renderHtml } = await import("../report/html.js");
    const retried = await run(BASE + routeWith("{attempts: 2, codes: [503]}"), { new: 0.1 });
    const f = retried.overall.exposure.failed;
    for (const width of [80, 60]) {
      const text = renderRolloutText(retried, { width });
      for (const line of text.split("\n")) expect([...line].length, line).toBeLessThanOrEqual(width);
      expect(text).toContain("retries");
    }
    const text = renderRolloutText(retried);
    expect(text).toMatch(/#\s+failed\s+without retries\s+retries sent\n\s+1\s+0\.1 \(\d+\)\s+10\.0 \(\d+\)\s+11\.0 \(\d+\)\n/);
    const flat = text.replace(/\n\s+/g, " ");
    expect(flat).toContain(`failed requests after retries: ${f.expected.toFixed(1)} expected (${f.drawn} drawn, 0 answered 5xx by the gateway)`);
    expect(flat).toContain(`failed requests without retries: ${f.expectedWithoutRetries.toFixed(1)} expected (${f.drawnWithoutRetries} drawn)`);
    expect(flat).toContain(`retries sent (attempts beyond the first): ${f.expectedRetries.toFixed(1)} expected (${f.retries} drawn)`);
    expect(text).toContain("error rates: new 10.00% (503)");
    const json = JSON.parse(renderRolloutJson(retried));
    expect(json.overall.exposure.failed).toEqual(f);
    expect(json.errorCodes).toEqual({ new: 503 });
    const html = renderHtml(retried);
    expect(html).toContain("Without retries");
    expect(html).toContain("Retries sent");
    expect(html).toContain(`${f.expectedRetries.toFixed(1)}`);

    const plain = await run(BASE + routeWith(null), { new: 0.1 });
    expect(renderRolloutText(plain)).not.toContain("retries");
    expect(renderHtml(plain)).not.toContain("Retries sent");
  });

  it("says what a retry budget refused", async () => {
    const { renderRolloutText } = await import("./text.js");
    const world = BASE + routeWith("{attempts: 2, codes: [503]}") + budgetPolicy("{budget: {percent: 20, interval: 10s}, minRetryRate: {count: 1, interval: 10s}}");
    const r = await run(world, { "ns/v2": 0.5 });
    expect(renderRolloutText(r).replace(/\n\s+/g, " ")).toContain(`retries refused by retry budgets (each answered 503): 35.4 expected (${r.overall.exposure.failed.retriesRefused} drawn)`);
  });
});
