import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { buildWorld, decide, parseManifests, statusOf, type ManifestObject } from "@gwsim/core";
import { flaggerMaxWeight, flaggerWeights } from "./flagger.js";
import { parseRolloutFile } from "./parse.js";
import { rolloutSteps } from "./steps.js";
import { rulesOf } from "./working.js";
import type { RolloutPlan, RolloutStep } from "./types.js";

const WORLD = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gc}
spec: {controllerName: example.com/gc}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: gc
  listeners:
  - {name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}
`;

const world = (): ManifestObject[] => parseManifests(WORLD).objects;

function canary(analysis: string, service = ""): ManifestObject {
  const text = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: podinfo, namespace: test}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
  service:
    port: 9898
    hosts: [app.example.com]
    gatewayRefs: [{name: gw, namespace: infra}]
${service}${analysis ? `  analysis:\n${analysis}` : ""}`;
  const { doc, problems } = parseRolloutFile(text, { file: "canary.yaml" });
  expect(problems).toEqual([]);
  return doc!;
}

const plan = (analysis: string, service = ""): RolloutPlan => rolloutSteps(world(), canary(analysis, service));
const route = (s: { objects: ManifestObject[] }) => s.objects.find((o) => o.kind === "HTTPRoute" && o.metadata.name === "podinfo")!;
const split = (s: { objects: ManifestObject[] }) => rulesOf(route(s)).map((r) => (r.backendRefs ?? []).map((b) => `${b.name}=${b.weight}`).join(","));
const summary = (p: RolloutPlan) => p.steps.map((s: RolloutStep) => [s.weight, s.hold, s.duration, split(s).join(" | ")]);

describe("Flagger: the scheduler's weights", () => {
  it.each([
    { a: { stepWeight: 10, maxWeight: 50, stepWeights: [] }, want: [10, 20, 30, 40, 50] },
    // Only 100 caps the weight: 20 over a max of 50 goes to 60.
    { a: { stepWeight: 20, maxWeight: 50, stepWeights: [] }, want: [20, 40, 60] },
    { a: { stepWeight: 30, maxWeight: 0, stepWeights: [] }, want: [30, 60, 90, 100] },
    { a: { stepWeight: 0, maxWeight: 0, stepWeights: [1, 5, 10, 50] }, want: [1, 5, 10, 50] },
    { a: { stepWeight: 0, maxWeight: 0, stepWeights: [5, 30, 120] }, want: [5, 30, 100] },
    // stepWeight wins over stepWeights, whose last entry is still the max.
    { a: { stepWeight: 25, maxWeight: 0, stepWeights: [10, 40] }, want: [25, 50] },
    { a: { stepWeight: 0, maxWeight: 50, stepWeights: [] }, want: [] },
  ])("$a → $want", ({ a, want }) => {
    expect(flaggerWeights(a)).toEqual(want);
  });

  it("maxWeight: the last stepWeights entry (at most 100), else maxWeight, else 100", () => {
    expect(flaggerMaxWeight({ maxWeight: 30, stepWeights: [10, 60] })).toBe(60);
    expect(flaggerMaxWeight({ maxWeight: 30, stepWeights: [] })).toBe(30);
    expect(flaggerMaxWeight({ maxWeight: 0, stepWeights: [] })).toBe(100);
    expect(flaggerMaxWeight({ maxWeight: 0, stepWeights: [150] })).toBe(100);
  });
});

describe("Flagger: Canary becomes route snapshots", () => {
  it("progressive canary: a weight per interval, one to promote, then all back to the primary", () => {
    const p = plan("    interval: 1m\n    stepWeight: 20\n    maxWeight: 40\n");
    expect(p.ok).toBe(true);
    expect(summary(p)).toEqual([
      [0, "timed", 60_000, "podinfo-primary=100,podinfo-canary=0"],
      [20, "timed", 60_000, "podinfo-primary=80,podinfo-canary=20"],
      [40, "timed", 60_000, "podinfo-primary=60,podinfo-canary=40"],
      [40, "timed", 60_000, "podinfo-primary=60,podinfo-canary=40"],
      [0, "end", null, "podinfo-primary=100,podinfo-canary=0"],
    ]);
    expect(p.steps.map((s) => s.name)).toEqual(["new revision detected: podinfo-canary scaled up, no traffic yet (1m)", "weight 20 (1m)", "weight 40 (1m)", "promoting: podinfo-primary gets the new version (1m)", "promoted: all traffic to the primary, now the new version"]);
    expect(p.steps[2]!.canary).toEqual(["test/podinfo-canary"]);
    expect(p.steps[3]!.canary).toEqual(["test/podinfo-canary", "test/podinfo-primary"]);
    expect(split({ objects: p.before })).toEqual(["podinfo-primary=100,podinfo-canary=0"]);
  });

  it("stepWeightPromotion moves traffic back to the primary step by step; the interval has a 10s floor", () => {
    const p = plan("    interval: 5s\n    stepWeights: [50]\n    stepWeightPromotion: 20\n");
    expect(summary(p)).toEqual([
      [0, "timed", 10_000, "podinfo-primary=100,podinfo-canary=0"],
      [50, "timed", 10_000, "podinfo-primary=50,podinfo-canary=50"],
      [50, "timed", 10_000, "podinfo-primary=50,podinfo-canary=50"],
      [30, "timed", 10_000, "podinfo-primary=70,podinfo-canary=30"],
      [10, "timed", 10_000, "podinfo-primary=90,podinfo-canary=10"],
      [0, "end", null, "podinfo-primary=100,podinfo-canary=0"],
    ]);
  });

  it("generates the whole route: parentRefs, hostnames, matches, filters, timeouts; and the Services it creates", () => {
    const p = plan(
      "    stepWeight: 50\n",
      "    match: [{uri: {prefix: /api}, headers: {x-b: {exact: '1'}, x-a: {regex: 'a+'}}}]\n    timeout: 15s\n    headers:\n      request:\n        set: {x-z: '1', x-y: '2'}\n        remove: [x-debug]\n    rewrite: {uri: /v2, type: ReplacePrefixMatch}\n",
    );
    const r = route(p.steps[1]!);
    expect(r.spec).toEqual({
      parentRefs: [{ name: "gw", namespace: "infra" }],
      hostnames: ["app.example.com"],
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: "/api" }, headers: [{ name: "x-a", type: "RegularExpression", value: "a+" }, { name: "x-b", type: "Exact", value: "1" }] }],
          filters: [
            { type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "x-y", value: "2" }, { name: "x-z", value: "1" }], remove: ["x-debug"] } },
            { type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/v2" } } },
          ],
          timeouts: { request: "15s" },
          backendRefs: [
            { group: "", kind: "Service", name: "podinfo-primary", port: 9898, weight: 50 },
            { group: "", kind: "Service", name: "podinfo-canary", port: 9898, weight: 50 },
          ],
        },
      ],
    });
    const services = p.steps[1]!.objects.filter((o) => o.kind === "Service").map((o) => o.metadata.name);
    expect(services).toEqual(["podinfo", "podinfo-primary", "podinfo-canary"]);
    // The generated route is accepted by the Gateway.
    const status = statusOf(buildWorld(p.steps[1]!.objects)) as unknown as { items: { kind: string; status: { parents: { conditions: { type: string; status: string }[] }[] } }[] };
    const accepted = status.items.find((i) => i.kind === "HTTPRoute")!.status.parents[0]!.conditions.find((c) => c.type === "Accepted")!;
    expect(accepted.status).toBe("True");
  });

  it("A/B testing: matching requests go to the canary for `iterations` intervals, the rest to the primary", () => {
    const p = plan("    interval: 2m\n    iterations: 3\n    match:\n    - headers: {x-canary: {exact: insider}}\n");
    expect(summary(p)).toEqual([
      [0, "timed", 120_000, "podinfo-primary=100,podinfo-canary=0 | podinfo-primary=100"],
      [100, "timed", 360_000, "podinfo-primary=0,podinfo-canary=100 | podinfo-primary=100"],
      [100, "timed", 120_000, "podinfo-primary=0,podinfo-canary=100 | podinfo-primary=100"],
      [0, "end", null, "podinfo-primary=100,podinfo-canary=0 | podinfo-primary=100"],
    ]);
    const rules = rulesOf(route(p.steps[1]!));
    expect(rules[0]!.matches).toEqual([{ path: { type: "PathPrefix", value: "/" }, headers: [{ name: "x-canary", type: "Exact", value: "insider" }] }]);
    const w = buildWorld(p.steps[1]!.objects);
    const req = (headers: Record<string, string>) => ({ gateway: "infra/gw", host: "app.example.com", path: "/", headers });
    expect(decide(w, req({ "x-canary": "insider" }), { seed: 1, index: 0 }).backend?.name).toBe("podinfo-canary");
    expect(decide(w, req({ "x-canary": "other" }), { seed: 1, index: 0 }).backend?.name).toBe("podinfo-primary");
  });

  it("Blue/Green: iterations on the primary (mirrored when asked), one interval all on the canary, then promotion", () => {
    const p = plan("    interval: 1m\n    iterations: 5\n    mirror: true\n");
    expect(summary(p)).toEqual([
      [0, "timed", 60_000, "podinfo-primary=100,podinfo-canary=0"],
      [0, "timed", 300_000, "podinfo-primary=100,podinfo-canary=0"],
      [100, "timed", 60_000, "podinfo-primary=0,podinfo-canary=100"],
      [100, "timed", 60_000, "podinfo-primary=0,podinfo-canary=100"],
      [0, "end", null, "podinfo-primary=100,podinfo-canary=0"],
    ]);
    expect(rulesOf(route(p.steps[0]!))[0]!.filters).toBeUndefined();
    expect(rulesOf(route(p.steps[1]!))[0]!.filters).toEqual([
      { type: "RequestMirror", requestMirror: { backendRef: { group: "", kind: "Service", name: "podinfo-canary", port: 9898 } } },
    ]);
    expect(rulesOf(route(p.steps[2]!))[0]!.filters).toBeUndefined();
  });

  it.each([
    { title: "mirror with progressive weights never advances on Gateway API", analysis: "    stepWeight: 10\n    mirror: true\n", code: "flagger.mirror-loop", ok: false },
    { title: "no step weights", analysis: "    maxWeight: 50\n", code: "flagger.no-steps", ok: false },
    { title: "an interval that is not a Go duration falls back to 60s", analysis: "    interval: 1 minute\n    stepWeight: 50\n", code: "flagger.bad-interval", ok: true },
  ])("$title", ({ analysis, code, ok }) => {
    const p = plan(analysis);
    expect(p.ok).toBe(ok);
    expect(p.problems.map((x) => x.code)).toContain(code);
  });

  it("skipAnalysis, a non Gateway API provider and missing gatewayRefs", () => {
    const skip = plan("");
    expect(summary(skip)).toEqual([
      [0, "timed", 60_000, "podinfo-primary=100,podinfo-canary=0"],
      [0, "end", null, "podinfo-primary=100,podinfo-canary=0"],
    ]);
    const istio = parseRolloutFile("apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: c}\nspec:\n  provider: istio\n  targetRef: {name: d}\n  service: {port: 80}\n").doc!;
    expect(rolloutSteps(world(), istio).problems[0]).toMatchObject({ code: "flagger.provider", line: 5 });
    const noRefs = parseRolloutFile("apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: c}\nspec:\n  targetRef: {name: d}\n  service: {port: 80}\n").doc!;
    expect(rolloutSteps(world(), noRefs).problems[0]!.message).toBe("GatewayRefs must be specified when using Gateway API as a provider.");
  });

  it("the bundled example: Flagger replaces store/checkout and shifts /checkout along stepWeights", async () => {
    const { loadManifests } = await import("../load/manifests.js");
    const loaded = await loadManifests(["packages/examples/world"]);
    const file = "packages/examples/rollouts/flagger-checkout.yaml";
    const doc = parseRolloutFile(readFileSync(file, "utf8"), { file }).doc!;
    const p = rolloutSteps(loaded.objects, doc);
    expect(p.ok).toBe(true);
    expect(p.steps.map((s) => s.weight)).toEqual([0, 5, 10, 25, 50, 50, 25, 0]);
    const w = buildWorld(p.steps[4]!.objects);
    const d = decide(w, { gateway: "infra/edge", host: "store.example.com", path: "/checkout", method: "POST" }, { seed: 1, index: 0 });
    expect(d.backends?.map((b) => [b.name, b.probability])).toEqual([["checkout-primary", 0.5], ["checkout-canary", 0.5]]);
  });
});

describe("Flagger: QA against scheduler.go and the Gateway API routers", () => {
  const first = ["new revision detected: podinfo-canary scaled up, no traffic yet (1m)"];

  it("the tick that detects the new revision only sets the phase: one interval at weight 0 before the first step", () => {
    // scheduler.go: checkCanaryStatus sets Progressing and returns; the next tick runs runCanary.
    const p = plan("    interval: 1m\n    stepWeight: 50\n");
    expect(p.steps.map((s) => s.name).slice(0, 2)).toEqual([...first, "weight 50 (1m)"]);
    expect(summary(p)[0]).toEqual([0, "timed", 60_000, "podinfo-primary=100,podinfo-canary=0"]);
    expect(p.steps[0]!.canary).toEqual(["test/podinfo-canary"]);
    expect(p.steps[0]!.stable).toEqual(["test/podinfo-primary"]);
    // skipAnalysis promotes on that next tick too.
    const skip = plan("");
    expect(skip.steps.map((s) => [s.weight, s.hold, s.duration])).toEqual([[0, "timed", 60_000], [0, "end", null]]);
  });

  it.each([
    { stepWeights: "[10, 5, 50]", at: 10 },
    { stepWeights: "[20, 20, 60]", at: 20 },
  ])("stepWeights $stepWeights that do not increase: nextStepWeight ≤ 0 and Flagger stays at $at forever", ({ stepWeights, at }) => {
    const p = plan(`    interval: 1m\n    stepWeights: ${stepWeights}\n`);
    expect(p.ok).toBe(false);
    expect(p.problems.find((x) => x.code === "flagger.stalled")!.message).toContain(`stays at weight ${at}`);
    const last = p.steps[p.steps.length - 1]!;
    expect([last.weight, last.hold, last.stable]).toEqual([at, "end", ["test/podinfo-primary"]]);
    expect(split(last)).toEqual([`podinfo-primary=${100 - at},podinfo-canary=${at}`]);
    expect(p.steps.some((s) => s.name.startsWith("promot"))).toBe(false);
  });

  it("provider gatewayapi without a version is not a Gateway API router in Flagger's factory (it falls back to Istio)", () => {
    const doc = canary("    stepWeight: 50\n");
    (doc.spec as Record<string, unknown>).provider = "gatewayapi";
    const p = rolloutSteps(world(), doc);
    expect(p.ok).toBe(false);
    expect(p.problems[0]!.code).toBe("flagger.provider");
    (doc.spec as Record<string, unknown>).provider = "gatewayapi:v1";
    expect(rolloutSteps(world(), doc).ok).toBe(true);
  });

  it("the v1 router writes corsPolicy as a CORS filter (allowOrigin, methods, headers, credentials, maxAge in seconds)", () => {
    const p = plan(
      "    stepWeight: 50\n",
      "    corsPolicy:\n      allowOrigin: ['https://a.test']\n      allowMethods: [GET, POST]\n      allowHeaders: [x-a]\n      exposeHeaders: [x-b]\n      allowCredentials: true\n      maxAge: 2m\n",
    );
    expect(p.problems.map((x) => x.code)).not.toContain("flagger.unsupported");
    expect(rulesOf(route(p.steps[1]!))[0]!.filters).toEqual([
      { type: "CORS", cors: { allowOrigins: ["https://a.test"], allowMethods: ["GET", "POST"], allowHeaders: ["x-a"], exposeHeaders: ["x-b"], allowCredentials: true, maxAge: 120 } },
    ]);
    const w = buildWorld(p.steps[1]!.objects);
    const d = decide(w, { gateway: "infra/gw", host: "app.example.com", path: "/", method: "GET", headers: { origin: "https://a.test" } }, { seed: 1, index: 0 });
    expect(d.responseHeaders?.set?.["access-control-allow-origin"] ?? d.responseHeaders?.add?.["access-control-allow-origin"]).toBe("https://a.test");
  });

  it("the v1beta1 router writes neither timeouts nor CORS", () => {
    const doc = canary("    stepWeight: 50\n", "    timeout: 10s\n    corsPolicy: {allowOrigin: ['*']}\n");
    (doc.spec as Record<string, unknown>).provider = "gatewayapi:v1beta1";
    const p = rolloutSteps(world(), doc);
    const rule = rulesOf(route(p.steps[1]!))[0]!;
    expect(rule.timeouts).toBeUndefined();
    expect(rule.filters).toBeUndefined();
    expect(p.problems.filter((x) => x.code === "flagger.v1beta1-drops").map((x) => x.path)).toEqual(["spec.service.timeout", "spec.service.corsPolicy"]);
  });
});

describe("Flagger: sessionAffinity as getSessionAffinityRouteRules writes it", () => {
  const affinity = (extra = "") => plan(`    interval: 1m\n    stepWeights: [30, 60]\n    sessionAffinity:\n      cookieName: flagger-cookie\n      maxAge: 600\n${extra}`);
  const cookieOf = (s: RolloutStep, rule: number, ref: number) =>
    ((rulesOf(route(s))[rule]!.backendRefs![ref]!.filters as { responseHeaderModifier: { add: { name: string; value: string }[] } }[] | undefined)?.[0]?.responseHeaderModifier.add[0]?.value);

  it("while the canary has weight: a sticky rule for the cookie first, the weighted rule's canary ref sets it", () => {
    const p = affinity();
    expect(p.ok).toBe(true);
    expect(p.sessionCookies).toEqual(["flagger-cookie"]);
    // Reconcile's route (before, and the detection tick) has no sticky rule.
    expect(split({ objects: p.before })).toEqual(["podinfo-primary=100,podinfo-canary=0"]);
    expect(split(p.steps[0]!)).toEqual(["podinfo-primary=100,podinfo-canary=0"]);
    const s30 = p.steps[1]!;
    expect(split(s30)).toEqual(["podinfo-primary=0,podinfo-canary=100", "podinfo-primary=70,podinfo-canary=30"]);
    const cookie = cookieOf(s30, 1, 1)!;
    expect(cookie).toMatch(/^flagger-cookie=[A-Za-z]{10}; Max-Age=600$/);
    const value = cookie.split(";")[0]!.split("=")[1]!;
    // No service match: the cookie match alone (mergeMatchConditions with no service matches).
    expect(rulesOf(route(s30))[0]!.matches).toEqual([{ headers: [{ type: "RegularExpression", name: "Cookie", value: `.*flagger-cookie.*${value}.*` }] }]);
    // The same cookie for the whole run (Status.SessionAffinityCookie).
    expect(cookieOf(p.steps[2]!, 1, 1)).toBe(cookie);
    // Back at weight 0: the old cookie is matched and deleted, traffic on the primary.
    const done = p.steps[p.steps.length - 1]!;
    expect(split(done)).toEqual(["podinfo-primary=100,podinfo-canary=0", "podinfo-primary=100,podinfo-canary=0"]);
    expect(rulesOf(route(done))[0]!.filters).toEqual([{ type: "ResponseHeaderModifier", responseHeaderModifier: { add: [{ name: "Set-Cookie", value: `flagger-cookie=${value}; Max-Age=-1` }] } }]);
  });

  it("routes the cookie to the canary in the real core, and a drawn canary answer sets it", () => {
    const p = affinity();
    const s30 = p.steps[1]!;
    const value = cookieOf(s30, 1, 1)!.split(";")[0]!;
    const w = buildWorld(s30.objects);
    const req = (headers: Record<string, string>) => ({ gateway: "infra/gw", host: "app.example.com", path: "/x", headers });
    for (let i = 0; i < 30; i++) expect(decide(w, req({ cookie: `a=1; ${value}` }), { seed: 1, index: i }).backend?.name).toBe("podinfo-canary");
    const drawn = Array.from({ length: 200 }, (_, i) => decide(w, req({}), { seed: 1, index: i }));
    const onCanary = drawn.filter((d) => d.backend?.name === "podinfo-canary");
    expect(onCanary.length).toBeGreaterThan(30);
    expect(onCanary.length).toBeLessThan(90);
    for (const d of onCanary) expect(JSON.stringify(d.responseHeaders)).toContain("Max-Age=600");
    for (const d of drawn.filter((x) => x.backend?.name === "podinfo-primary")) expect(JSON.stringify(d.responseHeaders ?? {})).not.toContain("flagger-cookie");
  });

  it("primaryCookieName: a second sticky rule to the primary, its cookie lasting one interval", () => {
    const p = affinity("      primaryCookieName: primary-cookie\n      domain: app.example.com\n      secure: true\n");
    expect(p.sessionCookies).toEqual(["flagger-cookie", "primary-cookie"]);
    const s30 = p.steps[1]!;
    expect(split(s30)).toEqual(["podinfo-primary=0,podinfo-canary=100", "podinfo-primary=100,podinfo-canary=0", "podinfo-primary=70,podinfo-canary=30"]);
    expect(cookieOf(s30, 2, 0)).toMatch(/^primary-cookie=[A-Za-z]{10}; Max-Age=60; Domain=app.example.com; Secure$/);
    expect(cookieOf(s30, 2, 1)).toMatch(/^flagger-cookie=[A-Za-z]{10}; Max-Age=600; Domain=app.example.com; Secure$/);
  });

  it("primaryCookieName without an interval: SetRoutes cannot parse it and no weight is ever set", () => {
    const p = plan("    stepWeights: [30]\n    sessionAffinity: {cookieName: c, primaryCookieName: p}\n");
    expect(p.ok).toBe(false);
    expect(p.problems.map((x) => x.code)).toContain("flagger.session-affinity-interval");
    expect(p.steps.map((s) => [s.weight, s.hold])).toEqual([[0, "timed"], [0, "end"]]);
  });
  it("maxWeight over 100: the weight stops at 100, below maxWeight, so runCanary sets 0/100 again at every tick and never promotes", () => {
    expect(flaggerWeights({ stepWeight: 50, maxWeight: 150, stepWeights: [] })).toEqual([50, 100]);
    const p = plan("    interval: 1m\n    stepWeight: 50\n    maxWeight: 150\n");
    expect(p.ok).toBe(false);
    expect(p.problems.find((x) => x.code === "flagger.stalled")!.message).toContain("maxWeight 150");
    expect(summary(p)).toEqual([
      [0, "timed", 60_000, "podinfo-primary=100,podinfo-canary=0"],
      [50, "timed", 60_000, "podinfo-primary=50,podinfo-canary=50"],
      [100, "end", null, "podinfo-primary=0,podinfo-canary=100"],
    ]);
  });
});
