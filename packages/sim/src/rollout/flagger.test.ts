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
      [20, "timed", 60_000, "podinfo-primary=80,podinfo-canary=20"],
      [40, "timed", 60_000, "podinfo-primary=60,podinfo-canary=40"],
      [40, "timed", 60_000, "podinfo-primary=60,podinfo-canary=40"],
      [0, "end", null, "podinfo-primary=100,podinfo-canary=0"],
    ]);
    expect(p.steps.map((s) => s.name)).toEqual(["weight 20 (1m)", "weight 40 (1m)", "promoting: podinfo-primary gets the new version (1m)", "promoted: all traffic to the primary, now the new version"]);
    expect(p.steps[1]!.canary).toEqual(["test/podinfo-canary"]);
    expect(p.steps[2]!.canary).toEqual(["test/podinfo-canary", "test/podinfo-primary"]);
    expect(split({ objects: p.before })).toEqual(["podinfo-primary=100,podinfo-canary=0"]);
  });

  it("stepWeightPromotion moves traffic back to the primary step by step; the interval has a 10s floor", () => {
    const p = plan("    interval: 5s\n    stepWeights: [50]\n    stepWeightPromotion: 20\n");
    expect(summary(p)).toEqual([
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
    const r = route(p.steps[0]!);
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
    const services = p.steps[0]!.objects.filter((o) => o.kind === "Service").map((o) => o.metadata.name);
    expect(services).toEqual(["podinfo", "podinfo-primary", "podinfo-canary"]);
    // The generated route is accepted by the Gateway.
    const status = statusOf(buildWorld(p.steps[0]!.objects)) as unknown as { items: { kind: string; status: { parents: { conditions: { type: string; status: string }[] }[] } }[] };
    const accepted = status.items.find((i) => i.kind === "HTTPRoute")!.status.parents[0]!.conditions.find((c) => c.type === "Accepted")!;
    expect(accepted.status).toBe("True");
  });

  it("A/B testing: matching requests go to the canary for `iterations` intervals, the rest to the primary", () => {
    const p = plan("    interval: 2m\n    iterations: 3\n    match:\n    - headers: {x-canary: {exact: insider}}\n");
    expect(summary(p)).toEqual([
      [100, "timed", 360_000, "podinfo-primary=0,podinfo-canary=100 | podinfo-primary=100"],
      [100, "timed", 120_000, "podinfo-primary=0,podinfo-canary=100 | podinfo-primary=100"],
      [0, "end", null, "podinfo-primary=100,podinfo-canary=0 | podinfo-primary=100"],
    ]);
    const rules = rulesOf(route(p.steps[0]!));
    expect(rules[0]!.matches).toEqual([{ path: { type: "PathPrefix", value: "/" }, headers: [{ name: "x-canary", type: "Exact", value: "insider" }] }]);
    const w = buildWorld(p.steps[0]!.objects);
    const req = (headers: Record<string, string>) => ({ gateway: "infra/gw", host: "app.example.com", path: "/", headers });
    expect(decide(w, req({ "x-canary": "insider" }), { seed: 1, index: 0 }).backend?.name).toBe("podinfo-canary");
    expect(decide(w, req({ "x-canary": "other" }), { seed: 1, index: 0 }).backend?.name).toBe("podinfo-primary");
  });

  it("Blue/Green: iterations on the primary (mirrored when asked), one interval all on the canary, then promotion", () => {
    const p = plan("    interval: 1m\n    iterations: 5\n    mirror: true\n");
    expect(summary(p)).toEqual([
      [0, "timed", 300_000, "podinfo-primary=100,podinfo-canary=0"],
      [100, "timed", 60_000, "podinfo-primary=0,podinfo-canary=100"],
      [100, "timed", 60_000, "podinfo-primary=0,podinfo-canary=100"],
      [0, "end", null, "podinfo-primary=100,podinfo-canary=0"],
    ]);
    expect(rulesOf(route(p.steps[0]!))[0]!.filters).toEqual([
      { type: "RequestMirror", requestMirror: { backendRef: { group: "", kind: "Service", name: "podinfo-canary", port: 9898 } } },
    ]);
    expect(rulesOf(route(p.steps[1]!))[0]!.filters).toBeUndefined();
  });

  it.each([
    { title: "mirror with progressive weights never advances on Gateway API", analysis: "    stepWeight: 10\n    mirror: true\n", code: "flagger.mirror-loop", ok: false },
    { title: "no step weights", analysis: "    maxWeight: 50\n", code: "flagger.no-steps", ok: false },
    { title: "an interval that is not a Go duration falls back to 60s", analysis: "    interval: 1 minute\n    stepWeight: 50\n", code: "flagger.bad-interval", ok: true },
    { title: "session affinity is not simulated", analysis: "    stepWeight: 50\n    sessionAffinity: {cookieName: flagger-cookie}\n", code: "flagger.session-affinity", ok: true },
  ])("$title", ({ analysis, code, ok }) => {
    const p = plan(analysis);
    expect(p.ok).toBe(ok);
    expect(p.problems.map((x) => x.code)).toContain(code);
  });

  it("skipAnalysis, a non Gateway API provider and missing gatewayRefs", () => {
    const skip = plan("");
    expect(summary(skip)).toEqual([[0, "end", null, "podinfo-primary=100,podinfo-canary=0"]]);
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
    expect(p.steps.map((s) => s.weight)).toEqual([5, 10, 25, 50, 50, 25, 0]);
    const w = buildWorld(p.steps[3]!.objects);
    const d = decide(w, { gateway: "infra/edge", host: "store.example.com", path: "/checkout", method: "POST" }, { seed: 1, index: 0 });
    expect(d.backends?.map((b) => [b.name, b.probability])).toEqual([["checkout-primary", 0.5], ["checkout-canary", 0.5]]);
  });
});
